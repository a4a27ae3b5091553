/**
 * Set functions over a group's values (SPARQL 1.1 §18.5.1.4). Values are terms, or undefined
 * where the expression was an error or unbound. Following the spec: an error value makes SUM,
 * AVG, MIN, MAX and GROUP_CONCAT an error (the result variable stays unbound); COUNT counts the
 * values that are not errors; SAMPLE takes one value that is not an error. MIN and MAX return
 * their value in canonical form.
 */
import type { Term } from '../rdf/term-key.ts';
import { XSD } from '../rdf/term-key.ts';
import type { Aggregate } from './algebra.ts';
import { applyOperator, ExpressionError } from './expression-functions.ts';
import { compareForOrderBy } from './term-order.ts';
import { canonicalLiteral, formatNumericCanonical, numericArithmetic, numericDatatype, type NumericValue } from './xsd-values.ts';
import type { NumericFacts } from './numeric-facts.ts';

const integer = (n: number): Term => ({ termType: 'Literal', value: String(n), language: '', datatype: `${XSD}integer` });

const numericTerm = (n: NumericValue): Term => ({ termType: 'Literal', value: formatNumericCanonical(n), language: '', datatype: numericDatatype(n.kind) });

/**
 * What an aggregate needs of each value: whether there is one (COUNT), its number (SUM, AVG: no
 * term is built per row), or the term.
 */
export type AggregateInput = 'presence' | 'numeric' | 'term';

export function aggregateInput(aggregate: Aggregate): AggregateInput {
  switch (aggregate.function) {
    case 'COUNT':
      return 'presence';
    case 'SUM':
    case 'AVG':
      return 'numeric';
    default:
      return 'term';
  }
}

/**
 * One aggregate over one group, fed a value at a time (undefined: an error or unbound), so a
 * group holds running state instead of its solutions. DISTINCT is the caller's filter. Values go
 * to `addNumeric` for SUM and AVG, to `add` otherwise (see aggregateInput).
 */
export class Accumulator {
  private count = 0;
  private failed = false;
  private total: NumericValue = { kind: 'integer', value: 0n };
  /**
   * While every value so far was an integer and their sum a safe integer, the sum is kept here as a
   * JS number (no bigint per row); the first other value moves it into `total`, so values are still
   * added in order (the rounding of float and double sums depends on it).
   */
  private smallIntegerSum: number | undefined = 0;
  private best: Term | undefined;
  private sample: Term | undefined;
  private readonly pieces: string[] = [];

  constructor(private readonly aggregate: Aggregate) {}

  /** SUM and AVG: the value's numeric facts; null: not a number; undefined: an error or unbound. */
  addNumeric(facts: NumericFacts | null | undefined): void {
    if (facts === undefined || facts === null) {
      this.failed = true;
      if (facts === null) this.count++;
      return;
    }
    this.count++;
    if (this.failed) return;
    const n = facts.value;
    if (this.smallIntegerSum !== undefined) {
      if (n.kind === 'integer' && facts.comparable !== undefined) {
        const sum = this.smallIntegerSum + facts.comparable;
        if (Number.isSafeInteger(sum)) {
          this.smallIntegerSum = sum;
          return;
        }
      }
      this.total = { kind: 'integer', value: BigInt(this.smallIntegerSum) };
      this.smallIntegerSum = undefined;
    }
    // Addition never fails (only division can).
    this.total = numericArithmetic('+', this.total, n)!;
  }

  add(value: Term | undefined): void {
    const fn = this.aggregate.function;
    if (value === undefined) {
      // §18.5.1.4: an error makes SUM, AVG, MIN, MAX and GROUP_CONCAT an error; COUNT and SAMPLE skip it.
      if (fn !== 'COUNT' && fn !== 'SAMPLE') this.failed = true;
      return;
    }
    this.count++;
    if (this.failed) return;
    try {
      switch (fn) {
        case 'COUNT':
          return;
        case 'SAMPLE':
          this.sample ??= value;
          return;
        case 'MIN':
        case 'MAX': {
          const sign = fn === 'MIN' ? 1 : -1;
          if (this.best === undefined || sign * compareForOrderBy(value, this.best) < 0) this.best = value;
          return;
        }
        case 'GROUP_CONCAT':
          if (value.termType !== 'Literal') this.failed = true;
          else this.pieces.push(value.value);
          return;
      }
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      this.failed = true;
    }
  }

  /** The aggregate's value, or undefined when it is an error. */
  result(): Term | undefined {
    switch (this.aggregate.function) {
      case 'COUNT':
        return integer(this.count);
      case 'SAMPLE':
        return this.sample;
    }
    if (this.failed) return undefined;
    const total: NumericValue = this.smallIntegerSum !== undefined ? { kind: 'integer', value: BigInt(this.smallIntegerSum) } : this.total;
    switch (this.aggregate.function) {
      case 'SUM':
        return numericTerm(total);
      case 'AVG':
        if (this.count === 0) return integer(0);
        try {
          return applyOperator('/', [numericTerm(total), integer(this.count)]);
        } catch (error) {
          if (error instanceof ExpressionError) return undefined;
          throw error;
        }
      case 'MIN':
      case 'MAX':
        // The result is a value, written canonically (the W3C tests expect "2.0E-1" for "2E-1").
        return this.best === undefined ? undefined : canonicalLiteral(this.best);
      case 'GROUP_CONCAT':
        return { termType: 'Literal', value: this.pieces.join(this.aggregate.separator), language: '', datatype: `${XSD}string` };
    }
  }
}
