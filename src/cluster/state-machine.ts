/**
 * Applies committed Raft entries to the store. A batch of entries is ONE store transaction that
 * also records the applied index, term, configuration and member addresses, so a crash never
 * applies an entry twice or skips one: on restart Raft hands out again exactly the entries after
 * the recorded index.
 *
 * Determinism: an entry's effect depends only on the store state and the entry (NOW() is the
 * proposer's clock carried in the entry; blank nodes, RAND() and UUID() come from the store's
 * blank-node epoch). A write that fails when applied (a syntax error in a loaded payload, an
 * update that fails) fails the same way everywhere and changes nothing but the applied index.
 *
 * Idempotency: an entry with an `idempotencyKey` already applied within the window is skipped and
 * gets the first outcome. The table lives in the store (it is replicated state, part of snapshots)
 * and is swept by entry time, never by local clocks.
 */
import type { ConfChange, ConfState, Entry, NodeId } from '../raft/messages.ts';
import { decodeConfChange, emptyConfState } from '../raft/messages.ts';
import { applyConfChangeTo, configFromConfState } from '../raft/confchange.ts';
import { confStateOf } from '../raft/tracker.ts';
import { assert } from '../util/assert.ts';
import type { QuadStore, StoreWriter } from '../store/quad-store.ts';
import { DEFAULT_GRAPH_ID } from '../store/indexes.ts';
import { loadInto, QuadInGraphPayloadError, EncodingError } from '../store/rdf-loader.ts';
import { iriKey } from '../rdf/term-key.ts';
import { RdfSyntaxError } from '../rdf/syntax-error.ts';
import { applyDataOperations, prepareUpdate, runUpdate } from '../sparql/update-engine.ts';
import { QueryResourceError, SparqlSemanticError, SparqlSyntaxError, UpdateExecutionError } from '../sparql/sparql-errors.ts';
import { decodeLogCommand, type LogCommand, type WriteOutcome } from './log-command.ts';
import { decodeMemberContext } from './membership.ts';

/** What the store records about Raft with every applied batch. */
export interface AppliedState {
  index: number;
  term: number;
  confState: ConfState;
  /** Raft address of every member, as recorded in the log. */
  members: Record<NodeId, string>;
  /**
   * The log's clock: the latest proposer time of any applied command. Idempotency expiry is
   * measured on it, so it depends on the log alone, never on how entries were batched.
   */
  logClockMs?: number;
}

export interface AppliedEntry {
  index: number;
  /** Set for normal entries that carried a command. */
  command?: LogCommand;
  outcome?: WriteOutcome;
  /** Set for configuration changes. */
  confChange?: ConfChange;
}

export const APPLIED_KEY = 'raft.applied';
/** The cluster's id, written when the cluster is created (replicated through snapshots). */
export const CLUSTER_ID_KEY = 'cluster.id';
/** Set by a restore: the first start claims the store as a new one-node cluster (see claimRestored). */
export const RESTORE_CLAIM_KEY = 'restore.claim';
/** How many writes went to the store outside the log (ClusterNode.writeLocally): an incremental backup cannot carry them. */
export const LOCAL_WRITES_KEY = 'store.localWrites';
const IDEMPOTENCY_PREFIX = 'idem:';
/** INTERFACES.md promises at least 10 minutes. */
export const IDEMPOTENCY_WINDOW_MS = 15 * 60_000;
const IDEMPOTENCY_SWEEP_EVERY_ENTRIES = 1000;

interface IdempotencyRecord {
  index: number;
  timeMs: number;
  outcome: WriteOutcome;
}

/** A write failed in a way that depends only on its input: the same on every replica. */
class ApplyFailure extends Error {
  constructor(
    readonly position: number,
    readonly outcome: WriteOutcome,
  ) {
    super(outcome.ok ? 'ok' : outcome.message);
  }
}

export function readAppliedState(store: QuadStore): AppliedState {
  const snapshot = store.snapshot();
  try {
    return (snapshot.getMeta(APPLIED_KEY) as AppliedState | undefined) ?? { index: 0, term: 0, confState: emptyConfState(), members: {} };
  } finally {
    snapshot.release();
  }
}

export class StateMachine {
  private state: AppliedState;

  constructor(
    readonly store: QuadStore,
    /** Applies a configuration change to the Raft core and returns the new configuration. */
    private readonly applyConfChange: (cc: ConfChange) => ConfState,
    /**
     * Whether an applied batch must be on disk before it counts as applied. Not needed while
     * other members hold the log: after a crash the entries are applied again from the log, which
     * is fsynced, and the store is fsynced before the log is compacted.
     */
    private readonly syncEachApply: () => boolean = () => true,
  ) {
    this.state = readAppliedState(store);
  }

  get applied(): AppliedState {
    return this.state;
  }

  /** Re-reads the applied state (after a snapshot replaced the store's content). */
  reload(): void {
    this.state = readAppliedState(this.store);
  }

  /** Records the state a brand-new cluster starts from (its membership and id), at index 1. */
  async bootstrap(confState: ConfState, members: Record<NodeId, string>, clusterId: string): Promise<void> {
    const state: AppliedState = { index: 1, term: 1, confState, members };
    await this.store.write((writer) => {
      writer.putMeta(APPLIED_KEY, state);
      writer.putMeta(CLUSTER_ID_KEY, clusterId);
    });
    this.state = state;
  }

  /**
   * A restored store (see ops/backup) holds data at some index and no membership: this node takes
   * it as a new one-node cluster with a new id, keeping the index and term, in one transaction.
   * Returns false when the store is no restore waiting to be claimed.
   */
  async claimRestored(nodeId: NodeId, raftAddr: string, clusterId: string): Promise<boolean> {
    const claimed = await this.store.write((writer) => {
      if (writer.getMeta(RESTORE_CLAIM_KEY) === undefined) return undefined;
      const restored = writer.getMeta(APPLIED_KEY) as AppliedState;
      const state: AppliedState = { ...restored, confState: { ...emptyConfState(), voters: [nodeId] }, members: { [nodeId]: raftAddr } };
      writer.putMeta(APPLIED_KEY, state);
      writer.putMeta(CLUSTER_ID_KEY, clusterId);
      writer.removeMeta(RESTORE_CLAIM_KEY);
      return state;
    }, { sync: true });
    if (claimed) this.state = claimed;
    return claimed !== undefined;
  }

  /**
   * Applies committed entries in order. The core hands out only entries after the applied index
   * (it restarts from it, and a snapshot carries the applied index of the store it holds).
   */
  async apply(entries: Entry[]): Promise<AppliedEntry[]> {
    const results: AppliedEntry[] = [];
    assert(entries[0].index === this.state.index + 1, `entry ${entries[0].index} handed out after applied index ${this.state.index}`);
    let rest = entries;
    while (rest.length > 0) {
      try {
        results.push(...(await this.applyRun(rest, undefined)));
        rest = [];
      } catch (error) {
        if (!(error instanceof ApplyFailure)) throw error;
        // The whole batch was rolled back. Apply what came before the failed entry, then the
        // failed entry as a no-op that records its outcome, then go on with the rest.
        if (error.position > 0) results.push(...(await this.applyRun(rest.slice(0, error.position), undefined)));
        results.push(...(await this.applyRun([rest[error.position]], error.outcome)));
        rest = rest.slice(error.position + 1);
      }
    }
    return results;
  }

  /** One store transaction for `entries`; `failed` is the known outcome of a single failed entry. */
  private async applyRun(entries: Entry[], failed: WriteOutcome | undefined): Promise<AppliedEntry[]> {
    let next = this.state;
    const results: AppliedEntry[] = [];
    const confChanges: ConfChange[] = [];
    await this.store.write(async (writer) => {
      next = { ...this.state, confState: this.state.confState, members: { ...this.state.members } };
      for (let position = 0; position < entries.length; position++) {
        const entry = entries[position];
        if (entry.type === 'confChange') {
          const cc = decodeConfChange(entry.data);
          confChanges.push(cc);
          recordMembers(next.members, cc);
          results.push({ index: entry.index, confChange: cc });
        } else if (entry.data.byteLength > 0) {
          const command = decodeLogCommand(entry.data);
          next.logClockMs = Math.max(next.logClockMs ?? 0, command.timeMs);
          const outcome = await this.applyCommand(writer, command, entry.index, position, next.logClockMs, failed);
          results.push({ index: entry.index, command, outcome });
        } else {
          results.push({ index: entry.index });
        }
        if (entry.index % IDEMPOTENCY_SWEEP_EVERY_ENTRIES === 0 && next.logClockMs !== undefined) sweepIdempotency(writer, next.logClockMs);
        next.index = entry.index;
        next.term = entry.term;
      }
      // The configuration each change leads to (the same computation the core makes), recorded
      // with the batch so a restart starts the core from it.
      for (const cc of confChanges) next.confState = nextConfState(next.confState, cc);
      writer.putMeta(APPLIED_KEY, next);
    }, { sync: this.syncEachApply() });
    // Only now, with the batch committed, does the core learn of the changes.
    for (const cc of confChanges) this.applyConfChange(cc);
    this.state = next;
    return results;
  }

  /** Applies one command; `failed` is its outcome when an earlier attempt showed it fails. */
  private async applyCommand(writer: StoreWriter, command: LogCommand, index: number, position: number, logClockMs: number, failed: WriteOutcome | undefined): Promise<WriteOutcome> {
    const key = command.idempotencyKey;
    if (key !== undefined) {
      const seen = writer.getMeta(IDEMPOTENCY_PREFIX + key) as IdempotencyRecord | undefined;
      if (seen && seen.timeMs > logClockMs - IDEMPOTENCY_WINDOW_MS) return seen.outcome;
    }
    let outcome = failed;
    if (!outcome) {
      try {
        outcome = await execute(writer, command);
      } catch (error) {
        const known = knownFailure(error);
        if (!known) throw error;
        throw new ApplyFailure(position, known);
      }
    }
    // A failure is remembered too: the retry gets the first outcome, whatever it was.
    if (key !== undefined) writer.putMeta(IDEMPOTENCY_PREFIX + key, { index, timeMs: command.timeMs, outcome } satisfies IdempotencyRecord);
    return outcome;
  }
}

async function execute(writer: StoreWriter, { command, timeMs }: LogCommand): Promise<WriteOutcome> {
  switch (command.kind) {
    case 'update': {
      const update = prepareUpdate(command.text, command.baseIri);
      const summary = await runUpdate(writer, update, { now: new Date(timeMs), baseIri: command.baseIri, protocolDataset: command.dataset });
      return { ok: true, insertedQuads: summary.insertedQuads, removedQuads: summary.removedQuads };
    }
    case 'data': {
      const summary = applyDataOperations(writer, command.operations);
      return { ok: true, insertedQuads: summary.insertedQuads, removedQuads: summary.removedQuads };
    }
    case 'load': {
      const result = await loadInto(writer, [command.body], { format: command.format, target: command.target, replace: command.replace, baseIri: command.baseIri });
      return { ok: true, insertedQuads: result.insertedQuads, removedQuads: 0, parsedQuads: result.parsedQuads, createdGraph: result.createdGraph };
    }
    case 'deleteGraph': {
      if (command.graph === null) {
        const removed = writer.clearGraph(DEFAULT_GRAPH_ID);
        return { ok: true, insertedQuads: 0, removedQuads: removed };
      }
      const id = writer.lookup(iriKey(command.graph));
      const before = writer.removedQuads;
      if (id === undefined || !writer.dropGraph(id)) throw new ApplyFailure(-1, { ok: false, code: 'graph_not_found', message: `Graph <${command.graph}> does not exist.` });
      return { ok: true, insertedQuads: 0, removedQuads: writer.removedQuads - before };
    }
    default:
      // An entry this version cannot apply (written by a newer one): applying nothing would let
      // this replica diverge, so the node stops before its applied index moves.
      throw new Error(`log entry with unknown command kind ${JSON.stringify((command as { kind: unknown }).kind)}: this node runs an older version than the one that wrote it`);
  }
}

function knownFailure(error: unknown): WriteOutcome | undefined {
  if (error instanceof ApplyFailure) return error.outcome;
  if (error instanceof RdfSyntaxError) return { ok: false, code: 'rdf_syntax', message: error.message, line: error.line, column: error.column };
  if (error instanceof SparqlSyntaxError) return { ok: false, code: 'sparql_syntax', message: error.message, line: error.line, column: error.column };
  if (error instanceof SparqlSemanticError) return { ok: false, code: 'sparql_invalid', message: error.message };
  if (error instanceof UpdateExecutionError) return { ok: false, code: 'update_failed', message: error.message };
  if (error instanceof QueryResourceError) return { ok: false, code: 'query_too_large', message: error.message };
  if (error instanceof QuadInGraphPayloadError) return { ok: false, code: 'triples_only', message: error.message };
  if (error instanceof EncodingError) return { ok: false, code: 'bad_request', message: error.message };
  return undefined;
}

function nextConfState(current: ConfState, cc: ConfChange): ConfState {
  const result = applyConfChangeTo(configFromConfState(current), cc);
  assert(result.ok, `a committed configuration change must be valid: ${result.ok ? '' : result.reason}`);
  return confStateOf(result.config);
}

function recordMembers(members: Record<NodeId, string>, cc: ConfChange): void {
  const context = decodeMemberContext(cc.context);
  for (const change of cc.changes) {
    if (change.type === 'removeNode') delete members[change.nodeId];
    else if (context?.raftAddr && context.nodeId === change.nodeId) members[change.nodeId] = context.raftAddr;
  }
}

function sweepIdempotency(writer: StoreWriter, nowMs: number): void {
  for (const key of writer.metaKeys(IDEMPOTENCY_PREFIX)) {
    const record = writer.getMeta(key) as IdempotencyRecord;
    if (record.timeMs <= nowMs - IDEMPOTENCY_WINDOW_MS) writer.removeMeta(key);
  }
}
