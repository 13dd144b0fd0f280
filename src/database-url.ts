/**
 * DATABASE_URL as people write it: a PostgreSQL URL (`postgres://user@host:5432/db?sslmode=require`)
 * or a libpq key=value string (`host=db.internal port=5432 dbname=servicedesk user=etl sslmode=require`).
 * The driver reads only URLs — given anything else it quietly connects to a host named "base" — so a
 * key=value string becomes the URL it means, and anything else is a configuration error that shows the
 * value with its password removed.
 */

/** libpq keywords the driver honours; each travels as the URL query parameter of the same name (dbname as the path). */
const KEYWORDS: readonly string[] = [
  'host',
  'port',
  'dbname',
  'user',
  'password',
  'sslmode',
  'sslcert',
  'sslkey',
  'sslrootcert',
  'application_name',
  'options',
  'client_encoding',
];

const URL_EXAMPLE = 'postgres://user@host:5432/database';
const KEYWORDS_EXAMPLE = 'host=… port=5432 dbname=… user=…';

export type DatabaseUrl = { readonly ok: true; readonly url: string } | { readonly ok: false; readonly message: string };

/** The value with any password (URL userinfo, `password=` in a URL or a key=value string) shown as ***. */
export function withoutPassword(value: string): string {
  return value.replace(/(\/\/[^:/?#@\s]*):[^@/?#\s]*@/g, '$1:***@').replace(/(password\s*=\s*)('(?:[^'\\]|\\.)*'?|[^&\s]*)/gi, '$1***');
}

/** Checks DATABASE_URL and gives the URL the driver should use. */
export function parseDatabaseUrl(value: string): DatabaseUrl {
  const text = value.trim();
  if (/^(postgres|postgresql):\/\//i.test(text) || /^socket:/i.test(text)) return checkUrl(text);
  if (/^[A-Za-z_][A-Za-z0-9_]*\s*=/.test(text)) return fromKeywords(text);
  return bad(value, `is neither a PostgreSQL URL (${URL_EXAMPLE}) nor a libpq key=value string (${KEYWORDS_EXAMPLE})`);
}

function bad(value: string, why: string): DatabaseUrl {
  return { ok: false, message: `${why}; it is ${JSON.stringify(withoutPassword(value))}` };
}

function checkUrl(text: string): DatabaseUrl {
  try {
    // The driver accepts a URL with credentials and no host (a socket named by ?host=): so do we.
    new URL(text.replace('@/', '@localhost/'));
  } catch {
    return bad(text, `is not a valid URL (expected ${URL_EXAMPLE})`);
  }
  return { ok: true, url: text };
}

/** Parses libpq's `keyword = value` pairs: values may be single-quoted, with `\'` and `\\` escapes. */
function fromKeywords(text: string): DatabaseUrl {
  const pairs = new Map<string, string>();
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  for (skipSpace(); i < text.length; skipSpace()) {
    const key = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))?.[0];
    if (!key) return bad(text, `is not a key=value connection string: expected a keyword at character ${i + 1}`);
    i += key.length;
    skipSpace();
    if (text[i] !== '=') return bad(text, `is not a key=value connection string: "${key}" has no "="`);
    i++;
    skipSpace();
    let value = '';
    if (text[i] === "'") {
      for (i++; i < text.length && text[i] !== "'"; i++) value += text[i] === '\\' ? (text[++i] ?? '') : text[i];
      if (i >= text.length) return bad(text, `is not a key=value connection string: the quoted value of "${key}" is not closed`);
      i++;
    } else {
      for (; i < text.length && !/\s/.test(text[i]!); i++) value += text[i] === '\\' ? (text[++i] ?? '') : text[i];
    }
    pairs.set(key.toLowerCase(), value);
  }
  const unknown = [...pairs.keys()].filter((k) => !KEYWORDS.includes(k));
  if (unknown.length > 0) {
    return bad(text, `uses ${unknown.join(', ')}, which otc-etl does not support (supported: ${KEYWORDS.join(', ')})`);
  }
  const params = new URLSearchParams();
  for (const [key, value] of pairs) if (key !== 'dbname') params.set(key, value);
  // Everything but the database travels as a query parameter, which also covers a socket directory as host.
  return { ok: true, url: `postgres:///${encodeURIComponent(pairs.get('dbname') ?? '')}?${params.toString()}` };
}

/**
 * Where a connection string points, as `host:port/database`, for messages: the driver's own error names
 * an address ("ECONNREFUSED 10.0.0.5:5432") but not the host the user wrote.
 */
export function endpointOf(url: string): string {
  try {
    const parsed = new URL(url.replace('@/', '@localhost/'));
    const host = parsed.searchParams.get('host') ?? (decodeURIComponent(parsed.hostname) || 'localhost');
    const port = parsed.searchParams.get('port') ?? (parsed.port || '5432');
    const database = decodeURIComponent(parsed.pathname.slice(1));
    return `${host}:${port}${database ? `/${database}` : ''}`;
  } catch {
    return withoutPassword(url);
  }
}
