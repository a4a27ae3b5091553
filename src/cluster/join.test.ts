// The --join URL: credentials become an HTTP Basic header and never appear in what is shown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { joinTarget } from './join.ts';

test('credentials in the join URL become HTTP Basic and are stripped from the URL', () => {
  const target = joinTarget('http://ad%40min:p%3Ass@127.0.0.1:7878/');
  assert.equal(target.headers.authorization, `Basic ${Buffer.from('ad@min:p:ss').toString('base64')}`);
  assert.equal(target.shown, 'http://127.0.0.1:7878/');
  assert.equal(target.base.username, '');
  assert.equal(target.base.password, '');
});

test('a URL without credentials sends none; a stray % in a password is taken as itself', () => {
  assert.equal(joinTarget('http://127.0.0.1:7878').headers.authorization, undefined);
  assert.equal(joinTarget('http://root:50%zz@127.0.0.1:7878').headers.authorization, `Basic ${Buffer.from('root:50%zz').toString('base64')}`);
});
