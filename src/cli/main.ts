import { runCli } from './program.js';

const exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  streams: { stdout: process.stdout, stderr: process.stderr },
  exitCode: 0,
});
process.exitCode = exitCode;
