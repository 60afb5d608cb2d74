import { createInterface } from 'node:readline';
import { CliError, EXIT } from './errors.js';
import type { CliDeps } from './io.js';

/** Reads a line from the terminal without echoing it (raw mode): Enter ends, Backspace deletes, Ctrl-C cancels. */
function readHidden(question: string): Promise<string> {
  const input = process.stdin;
  const output = process.stderr;
  return new Promise((resolve, reject) => {
    output.write(question);
    const wasRaw = input.isRaw;
    input.setRawMode(true);
    input.setEncoding('utf8');
    input.resume();
    let value = '';
    const finish = (): void => {
      input.off('data', onData);
      input.setRawMode(wasRaw);
      input.pause();
      output.write('\n');
    };
    function onData(chunk: string): void {
      for (const char of chunk) {
        if (char === '\r' || char === '\n' || char === '\u0004') {
          finish();
          resolve(value);
          return;
        }
        if (char === '\u0003') {
          finish();
          reject(new CliError(EXIT.interrupted, 'cancelled'));
          return;
        }
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else if (char >= ' ') value += char;
      }
    }
    input.on('data', onData);
  });
}

function readLine(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      rl.close();
      resolve(answer);
    });
  });
}

async function readAll(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** The real process: its environment, terminal, standard streams and signals. */
export function processDeps(): CliDeps {
  return {
    env: process.env,
    cwd: process.cwd(),
    stdout: {
      write: (text) => process.stdout.write(text),
      isTTY: process.stdout.isTTY,
      get columns() {
        return process.stdout.columns;
      },
    },
    stderr: {
      write: (text) => process.stderr.write(text),
      isTTY: process.stderr.isTTY,
      get columns() {
        return process.stderr.columns;
      },
    },
    ...(process.stderr.isTTY ? { progressStream: process.stderr } : {}),
    interactive: process.stdin.isTTY,
    readStdin: readAll,
    prompt: (question, options) => (options.hidden ? readHidden(question) : readLine(question)),
    untilShutdown: () =>
      new Promise((resolve) => {
        process.once('SIGINT', () => {
          resolve('SIGINT');
        });
        process.once('SIGTERM', () => {
          resolve('SIGTERM');
        });
      }),
  };
}
