import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';

/**
 * Headers for the web UI's pages and files: scripts only from this origin (no inline script), never framed, no
 * referrer (a URL never leaves the site), no MIME sniffing. Inline styles stay allowed: the component kit sets
 * CSS variables and style attributes at run time.
 */
export const WEB_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

/**
 * The web UI's client-side routes (packages/web/src/portals/portals.tsx): these paths get index.html; every other
 * unknown path stays a FHIR 404, as before the UI existed.
 */
export const WEB_ROUTES = [
  '/login',
  '/patient',
  '/clinician',
  '/insurer',
  '/privacy',
  '/research',
  '/ethics',
  '/public-health',
  '/admin',
];

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Medledger</title></head>
<body><h1>Medledger</h1><p>The web UI is not built. Run <code>npm run build -w @medledger/web</code> (or
<code>npm install</code>, which builds it) and restart the server. The API is available at <a href="/docs">/docs</a>.</p></body></html>`;

/** packages/web/dist, from this file in packages/server/src/http (tsx) or packages/server/dist/http (compiled). */
export function defaultWebRoot(): string {
  return resolve(__dirname, '..', '..', '..', 'web', 'dist');
}

function isWebRoute(path: string): boolean {
  return WEB_ROUTES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

/**
 * Serves the built web portals at `/`: the files of `root`, and `index.html` for `/` and the portals' client-side
 * routes (`/patient/sharing`, …). Without a build, those pages explain how to build it (503).
 */
export async function registerWebUi(app: FastifyInstance, root: string = defaultWebRoot()): Promise<void> {
  const indexFile = join(root, 'index.html');
  const built = existsSync(indexFile);
  const page = built ? readFileSync(indexFile) : Buffer.from(NOT_BUILT);
  if (built) {
    await app.register(fastifyStatic, {
      root,
      prefix: '/',
      wildcard: false,
      index: false,
      decorateReply: false,
      setHeaders: (reply) => {
        reply.headers(WEB_SECURITY_HEADERS);
      },
    });
  }
  const sendPage = (reply: FastifyReply): FastifyReply =>
    reply
      .code(built ? 200 : 503)
      .headers(WEB_SECURITY_HEADERS)
      .type('text/html; charset=utf-8')
      .send(page);
  app.get('/', { schema: { hide: true } }, (_request, reply) => sendPage(reply));
  app.get('/*', { schema: { hide: true } }, (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const last = path.slice(path.lastIndexOf('/') + 1);
    if (!isWebRoute(path) || last.includes('.')) {
      reply.callNotFound();
      return;
    }
    return sendPage(reply);
  });
}
