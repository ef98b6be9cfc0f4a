import type { CommandSpec } from '../context.js';
import { attach } from './attach.js';
import { completions } from './completions.js';
import { configEdit } from './config-edit.js';
import { connect } from './connect.js';
import { disconnect } from './disconnect.js';
import { doctor } from './doctor.js';
import { info } from './info.js';
import { killServer } from './kill-server.js';
import { killSession } from './kill-session.js';
import { listSessions } from './list-sessions.js';
import { localForward } from './local-forward.js';
import { newSession } from './new-session.js';
import { open } from './open.js';
import { remoteForward } from './remote-forward.js';
import { receive } from './receive.js';
import { rename } from './rename.js';
import { send } from './send.js';
import { server } from './server.js';
import { tail } from './tail.js';
import { tunnels } from './tunnels.js';

/** Every command, in the order `gritty --help` lists them. */
export const COMMANDS: readonly CommandSpec[] = [
  newSession,
  attach,
  tail,
  listSessions,
  killSession,
  rename,
  killServer,
  connect,
  disconnect,
  tunnels,
  open,
  send,
  receive,
  localForward,
  remoteForward,
  server,
  info,
  configEdit,
  doctor,
  ...completions(() => COMMANDS),
];
