/**
 * A linearizability checker for the key-value client history (Wing & Gong's search with Lowe's
 * memoisation, as in Porcupine). The history is partitioned by key (P-compositionality: a
 * history is linearizable iff each key's sub-history is). Operations that timed out are
 * indeterminate: their return time is infinite and their output unknown, so they may take
 * effect at any point after their call, or never.
 */

export type OpInput =
  | { kind: 'get' }
  | { kind: 'put'; value: string }
  | { kind: 'cas'; expected: string | null; value: string };

export type OpOutput = { kind: 'get'; value: string | null } | { kind: 'put' } | { kind: 'cas'; ok: boolean } | { kind: 'unknown' };

export interface Operation {
  id: number;
  clientId: number;
  key: string;
  input: OpInput;
  output: OpOutput;
  /** Logical times (the simulator's event sequence numbers): strictly ordered. */
  callTime: number;
  /** Infinity for an operation whose outcome is unknown. */
  returnTime: number;
}

type State = string | null;

function step(state: State, op: Operation): { ok: boolean; next: State } {
  const { input, output } = op;
  switch (input.kind) {
    case 'get':
      return { ok: output.kind === 'get' && output.value === state, next: state };
    case 'put':
      return { ok: true, next: input.value };
    case 'cas': {
      const matches = state === input.expected;
      if (output.kind === 'unknown') return { ok: true, next: matches ? input.value : state };
      if (output.kind !== 'cas') return { ok: false, next: state };
      if (output.ok) return { ok: matches, next: input.value };
      return { ok: !matches, next: state };
    }
  }
}

export type CheckResult = { ok: true } | { ok: false; key: string; reason: string } | { ok: 'unknown'; key: string };

interface Node {
  op: Operation;
  isCall: boolean;
  match: Node | null; // call -> its return
  prev: Node | null;
  next: Node | null;
}

/** Checks one key's history; `maxSteps` bounds the search. */
export function checkKey(ops: Operation[], maxSteps: number): boolean | 'unknown' {
  if (ops.length === 0) return true;
  const events: Array<{ time: number; isCall: boolean; op: Operation }> = [];
  for (const op of ops) {
    events.push({ time: op.callTime, isCall: true, op });
    events.push({ time: op.returnTime, isCall: false, op });
  }
  events.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? a.op.id - b.op.id : a.isCall ? -1 : 1));
  const head: Node = { op: ops[0], isCall: false, match: null, prev: null, next: null };
  let tail = head;
  const calls = new Map<number, Node>();
  for (const e of events) {
    const node: Node = { op: e.op, isCall: e.isCall, match: null, prev: tail, next: null };
    tail.next = node;
    tail = node;
    if (e.isCall) calls.set(e.op.id, node);
    else calls.get(e.op.id)!.match = node;
  }
  const index = new Map<number, number>();
  ops.forEach((op, i) => index.set(op.id, i));
  const linearized = new Uint8Array(ops.length);
  const cache = new Set<string>();
  const stack: Array<{ node: Node; state: State }> = [];
  let state: State = null;
  let entry: Node | null = head.next;

  const lift = (call: Node): void => {
    call.prev!.next = call.next;
    if (call.next) call.next.prev = call.prev;
    const ret = call.match!;
    ret.prev!.next = ret.next;
    if (ret.next) ret.next.prev = ret.prev;
  };
  const unlift = (call: Node): void => {
    const ret = call.match!;
    ret.prev!.next = ret;
    if (ret.next) ret.next.prev = ret;
    call.prev!.next = call;
    if (call.next) call.next.prev = call;
  };
  const key = (): string => {
    let bits = '';
    for (let i = 0; i < linearized.length; i++) bits += linearized[i];
    return `${bits}|${state ?? '\u0000'}`;
  };

  for (let steps = 0; head.next !== null; steps++) {
    if (steps > maxSteps) return 'unknown';
    if (entry === null) return false;
    if (entry.isCall) {
      const result = step(state, entry.op);
      if (result.ok) {
        const i = index.get(entry.op.id)!;
        linearized[i] = 1;
        const saved: State = state;
        state = result.next;
        const k = key();
        if (!cache.has(k)) {
          cache.add(k);
          stack.push({ node: entry, state: saved });
          lift(entry);
          entry = head.next;
          continue;
        }
        linearized[i] = 0;
        state = saved;
      }
      entry = entry.next;
    } else {
      // Reached a return whose call is not linearized: backtrack.
      const top = stack.pop();
      if (!top) return false;
      state = top.state;
      linearized[index.get(top.node.op.id)!] = 0;
      unlift(top.node);
      entry = top.node.next;
    }
  }
  return true;
}

/**
 * Indeterminate writes that nobody observed can be linearized last, so removing them keeps a
 * linearizable history linearizable; checking the smaller history first keeps the search small.
 */
function pruneUnobserved(ops: Operation[]): Operation[] {
  const observed = new Set<string>();
  for (const op of ops) {
    if (op.output.kind === 'get' && op.output.value !== null) observed.add(op.output.value);
    if (op.input.kind === 'cas' && op.input.expected !== null) observed.add(op.input.expected);
  }
  return ops.filter((op) => !(op.output.kind === 'unknown' && op.input.kind !== 'get' && !observed.has(op.input.value)));
}

export function checkHistory(ops: Operation[], maxStepsPerKey = 2_000_000): CheckResult {
  const byKey = new Map<string, Operation[]>();
  for (const op of ops) {
    if (op.input.kind === 'get' && op.output.kind === 'unknown') continue; // a lost read has no effect
    let list = byKey.get(op.key);
    if (!list) byKey.set(op.key, (list = []));
    list.push(op);
  }
  for (const [key, list] of [...byKey].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (checkKey(pruneUnobserved(list), maxStepsPerKey) === true) continue;
    const full = checkKey(list, maxStepsPerKey);
    if (full === true) continue;
    if (full === 'unknown') return { ok: 'unknown', key };
    return { ok: false, key, reason: `history of key ${key} (${list.length} operations) is not linearizable` };
  }
  return { ok: true };
}
