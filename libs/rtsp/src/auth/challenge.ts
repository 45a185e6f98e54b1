/** WWW-Authenticate challenges (RFC 7235 §4.1): `scheme param=value, param="quoted value", ...`. */

export interface AuthChallenge {
  /** Lower-case: "basic", "digest", ... */
  scheme: string;
  /** Parameter names lower-case, values unquoted. */
  params: Record<string, string>;
}

const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]+/y;

/** Parses every challenge in the given header values (a value may hold several challenges). */
export function parseWwwAuthenticate(values: string[]): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  for (const value of values) {
    let current: AuthChallenge | undefined;
    let i = 0;
    while (i < value.length) {
      if (/[\s,]/.test(value[i]!)) {
        i++;
        continue;
      }
      TOKEN.lastIndex = i;
      const token = TOKEN.exec(value)?.[0];
      if (!token) {
        i++;
        continue;
      }
      i += token.length;
      const afterSpaces = skipSpaces(value, i);
      if (current && value[afterSpaces] === '=') {
        const parsed = readParamValue(value, skipSpaces(value, afterSpaces + 1));
        current.params[token.toLowerCase()] = parsed.value;
        i = parsed.next;
      } else {
        current = { scheme: token.toLowerCase(), params: {} };
        challenges.push(current);
      }
    }
  }
  return challenges;
}

function skipSpaces(text: string, i: number): number {
  while (text[i] === ' ' || text[i] === '\t') i++;
  return i;
}

function readParamValue(text: string, i: number): { value: string; next: number } {
  if (text[i] !== '"') {
    const end = text.indexOf(',', i);
    const stop = end < 0 ? text.length : end;
    return { value: text.slice(i, stop).trim(), next: stop };
  }
  let value = '';
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] === '\\' && j + 1 < text.length) value += text[++j];
    else if (text[j] === '"') return { value, next: j + 1 };
    else value += text[j];
  }
  return { value, next: text.length };
}
