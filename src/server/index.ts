export { createServer, type Server, type ServerOptions } from './server.js';
export { httpStatusByCode, toProblem, type Problem } from './problem.js';
export type { Access } from './access.js';
