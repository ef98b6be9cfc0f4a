import { expect, test } from 'vitest';
import { parseForwardSpec } from '../../../src/forward/port/spec.js';

test.each([
  ['8080', { listen: 8080, target: 8080 }],
  ['1', { listen: 1, target: 1 }],
  ['65535:22', { listen: 65535, target: 22 }],
  ['8080:3000', { listen: 8080, target: 3000 }],
])('reads %j', (spec, parsed) => {
  expect(parseForwardSpec(spec)).toEqual(parsed);
});

test.each([
  ['', /listening port must be a number/],
  ['0', /listening port 0 is out of range/],
  ['65536', /out of range/],
  ['99999', /out of range/],
  ['-1', /must be a number/],
  ['8080:', /target port must be a number/],
  [':8080', /listening port must be a number/],
  ['8080:0', /target port 0 is out of range/],
  ['1:2:3', /expected PORT or LISTEN:TARGET/],
  ['localhost:8080', /must be a number/],
  ['0x50', /must be a number/],
  ['1e3', /must be a number/],
  [' 80', /must be a number/],
  ['000080', /must be a number/],
])('refuses %j clearly', (spec, why) => {
  expect(() => parseForwardSpec(spec)).toThrow(why);
  expect(() => parseForwardSpec(spec)).toThrow(/e\.g\. 8080 or 8080:3000/);
});
