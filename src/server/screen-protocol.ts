/** Messages between the daemon's main thread and its screen worker. */
export type ScreenRequest =
  | { op: 'open'; id: string; cols: number; rows: number; scrollback: number }
  | { op: 'write'; id: string; data: Uint8Array }
  | { op: 'resize'; id: string; cols: number; rows: number }
  | { op: 'reset'; id: string }
  | { op: 'snapshot'; id: string; req: number; scrollback: number; maxChars: number }
  | { op: 'close'; id: string };

export type ScreenReply =
  | { op: 'written'; id: string; bytes: number }
  | { op: 'snapshot'; req: number; data: string };

/** Test-only fault a worker is started with (GRITTY_TEST_SCREEN_CRASH): its first snapshot crashes or never answers. */
export type ScreenFault = 'throw' | 'hang';

export interface ScreenWorkerData {
  fault: ScreenFault | undefined;
}
