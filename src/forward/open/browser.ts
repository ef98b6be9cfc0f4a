import { spawn } from 'node:child_process';
import { splitCommandLine } from './command-line.js';

/**
 * Opens an already checked URL on the laptop: with the configured open-command (its
 * words, then the URL as one more argument, no shell), or else the system's default
 * browser through the `open` package. Resolves once the opener has started; does not
 * wait for a browser that may run for hours. Its output never reaches the terminal.
 */
export async function launchBrowser(href: string, openCommand: string | undefined): Promise<void> {
  if (openCommand === undefined) {
    // loaded on first use: most attaches never open a URL, and start faster without it
    const { default: open } = await import('open');
    await open(href);
    return;
  }
  const [program, ...args] = splitCommandLine(openCommand);
  const child = spawn(program!, [...args, href], { stdio: 'ignore', detached: true });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('spawn', () => {
      child.off('error', reject);
      child.on('error', () => {});
      resolve();
    });
  });
  child.unref();
}
