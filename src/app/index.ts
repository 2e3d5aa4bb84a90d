export { openApp, type App, type OpenAppOptions } from './app.js';
export { bootstrapAdmin } from './bootstrap.js';
export { allMigrations } from './migrations.js';
export { demoFleet, demoNames, demoTaskKind, queueDemo, type DemoResult } from './demo.js';
