export * from './ast.js';
export { tokenize, maxQueryLength, type Token, type TokenKind } from './lexer.js';
export { parseQuery, sensorKinds, daylightValues, weatherValues, speedClasses } from './parser.js';
export { formatQuery } from './format.js';
export { matches, type SegmentFacts } from './evaluate.js';
