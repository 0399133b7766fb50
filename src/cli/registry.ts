import { type Command, CORE_COMMANDS } from './commands.js';
import { DETECTION_COMMANDS } from './detection.commands.js';
import { NOTIFY_COMMANDS } from './notify.commands.js';
import { USER_COMMANDS } from './user.commands.js';

export const COMMANDS: Command[] = [
  ...CORE_COMMANDS,
  ...NOTIFY_COMMANDS,
  ...DETECTION_COMMANDS,
  ...USER_COMMANDS,
];
