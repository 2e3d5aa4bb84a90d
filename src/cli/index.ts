export { runCli, buildProgram } from './program.js';
export { action, type CliEnvironment, type CommandRegistrar } from './command.js';
export type { CommandIO, Progress } from './output.js';
export { exitCodes } from './exit-codes.js';
