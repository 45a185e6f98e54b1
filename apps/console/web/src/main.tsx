import '@picocss/pico/css/pico.min.css';
import { render } from 'preact';
import './styles.css';
import { App } from './views/app.js';

render(<App />, document.getElementById('app')!);
