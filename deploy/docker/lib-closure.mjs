// Prints the libs/ folders a project needs at run time: its tsconfig `references`, followed transitively.
//   node deploy/docker/lib-closure.mjs apps/gateway   ->  config contracts delivery messaging observability security
import { readFileSync } from 'node:fs';
import { join, normalize } from 'node:path';

const seen = new Set();
const visit = (dir) => {
  const { references = [] } = JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8'));
  for (const { path } of references) {
    const target = normalize(join(dir, path));
    if (!seen.has(target)) {
      seen.add(target);
      visit(target);
    }
  }
};
visit(process.argv[2]);
console.log(
  [...seen]
    .filter((dir) => dir.startsWith('libs/'))
    .map((dir) => dir.slice('libs/'.length))
    .sort()
    .join(' '),
);
