/**
 * Logs contain no PHI and no secrets (issue 9): everything the suite's processes logged — the real server processes'
 * pino output (kill -9 rounds, disk faults, soak), the in-process servers' logs and the test runner's own output — is
 * scanned for every patient's PHI (demo and Synthea), passwords, access tokens and private keys. Runs last.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { filesUnder } from './testing/fixtures.js';
import { phiScanner, phiTerms, readBundle, syntheaFiles } from './testing/phi.js';

const SECRETS: Array<[string, RegExp]> = [
  ['the demo password', /medledger-demo(?![-.\w])/],
  ['an access token (JWT)', /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{20,}/],
  ['a PEM private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ['a private JWK', /"d"\s*:\s*"[A-Za-z0-9_-]{40,}"/],
  ['a bearer header', /authorization["']?\s*[:=]\s*["']?Bearer\s+[A-Za-z0-9]/i],
  ['a scrypt password hash', /\$scrypt\$|scrypt:[0-9a-f]{16,}/i],
  ['a password field', /"password"\s*:\s*"[^"]+"/],
];

describe('the whole suite run logged no PHI and no secrets', () => {
  const dir = process.env.MEDLEDGER_SECURITY_LOG_DIR;

  it(
    'scans every log file of the run',
    { skip: dir === undefined ? 'run through npm run test:security' : false },
    () => {
      const files = filesUnder(dir ?? '');
      assert.ok(
        files.some((f) => f.endsWith('runner.log')),
        'the runner log is there',
      );
      const terms = [
        'Alice Anders',
        'Anders',
        'Bob Baker',
        '1985-02-14',
        '1979-11-03',
        '12 Harbour Lane',
        '4 Elm Street',
        '555-0142',
        '999-12-3456',
        '999-98-7654',
        'bob.baker@example.org',
        ...syntheaFiles(40).flatMap((file) => phiTerms(readBundle(file))),
      ];
      const scan = phiScanner(terms);
      const hits: string[] = [];
      let bytes = 0;
      for (const file of files) {
        const text = readFileSync(file, 'utf8');
        bytes += text.length;
        for (const term of scan(text)) hits.push(`${file}: PHI ${term}`);
        for (const [what, pattern] of SECRETS)
          if (pattern.test(text)) hits.push(`${file}: ${what} ${pattern.exec(text)?.[0].slice(0, 30) ?? ''}`);
      }
      process.stdout.write(
        `# log scan: ${files.length} files, ${bytes} characters, ${terms.length} PHI terms, ${hits.length} hits\n`,
      );
      assert.deepEqual(hits.slice(0, 20), []);
    },
  );
});
