import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyConfChangeTo, configFromConfState } from './confchange.ts';
import { confStateOf } from './tracker.ts';

const base = configFromConfState({ voters: ['a', 'b', 'c'], votersOutgoing: [], learners: ['l'], learnersNext: [], autoLeave: false });

test('one voter change applies in a single step', () => {
  const r = applyConfChangeTo(base, { transition: 'auto', changes: [{ type: 'addVoter', nodeId: 'd' }] });
  assert.ok(r.ok);
  assert.deepEqual(confStateOf(r.config).voters, ['a', 'b', 'c', 'd']);
  assert.deepEqual(confStateOf(r.config).votersOutgoing, []);
});

test('two voter changes are refused as a simple change but go through a joint configuration', () => {
  const joint = applyConfChangeTo(base, { transition: 'auto', changes: [{ type: 'addVoter', nodeId: 'd' }, { type: 'removeNode', nodeId: 'a' }] });
  assert.ok(joint.ok);
  const cs = confStateOf(joint.config);
  assert.deepEqual(cs.voters, ['b', 'c', 'd']);
  assert.deepEqual(cs.votersOutgoing, ['a', 'b', 'c']);
  assert.equal(cs.autoLeave, true);
  const left = applyConfChangeTo(joint.config, { transition: 'auto', changes: [] });
  assert.ok(left.ok);
  assert.deepEqual(confStateOf(left.config).votersOutgoing, []);
  assert.deepEqual(confStateOf(left.config).voters, ['b', 'c', 'd']);
});

test('demoting a voter in a joint configuration keeps it voting until the joint config is left', () => {
  const joint = applyConfChangeTo(base, { transition: 'jointExplicit', changes: [{ type: 'addLearner', nodeId: 'a' }] });
  assert.ok(joint.ok);
  assert.deepEqual(confStateOf(joint.config).learnersNext, ['a']);
  assert.ok(joint.config.voters.outgoing.has('a'));
  const left = applyConfChangeTo(joint.config, { transition: 'auto', changes: [] });
  assert.ok(left.ok);
  assert.deepEqual(confStateOf(left.config).learners, ['a', 'l']);
});

test('invalid changes are values, not exceptions', () => {
  assert.equal(applyConfChangeTo(base, { transition: 'auto', changes: [] }).ok, false); // not joint
  const one = configFromConfState({ voters: ['a'], votersOutgoing: [], learners: [], learnersNext: [], autoLeave: false });
  const r = applyConfChangeTo(one, { transition: 'auto', changes: [{ type: 'removeNode', nodeId: 'a' }] });
  assert.deepEqual(r, { ok: false, reason: 'removed all voters' });
});
