import { GrittyError } from './errors.js';
import { MESSAGE_SHAPES, type Message, type MessageType } from './messages.js';
import { isPlainObject, object } from './schema.js';

const parsers = new Map(
  Object.entries(MESSAGE_SHAPES).map(([type, shape]) => [type, object(shape)] as const),
);

/** unknown -> Message, or a `bad-message` GrittyError that says what was wrong. */
export function validate(value: unknown): Message {
  if (!isPlainObject(value)) throw new GrittyError('bad-message', 'a message must be a msgpack map');
  const type = value.type;
  if (typeof type !== 'string') throw new GrittyError('bad-message', 'a message needs a string field "type"');
  const parser = parsers.get(type);
  if (parser === undefined) throw new GrittyError('bad-message', `unknown message type ${JSON.stringify(type.slice(0, 64))}`);
  return { type: type as MessageType, ...parser.parse(value, '') } as Message;
}
