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
import { canonicalLiteral } from './xsd-values.ts';

const integer = (n: number): Term => ({ termType: 'Literal', value: String(n), language: '', datatype: `${XSD}integer` });

export function computeAggregate(aggregate: Aggregate, values: Array<Term | undefined>): Term | undefined {
  try {
    switch (aggregate.function) {
      case 'COUNT':
        return integer(values.filter((v) => v !== undefined).length);
      case 'SAMPLE':
        return values.find((v) => v !== undefined);
      case 'SUM': {
        if (values.some((v) => v === undefined)) return undefined;
        return (values as Term[]).reduce((sum, v) => applyOperator('+', [sum, v]), integer(0));
      }
      case 'AVG': {
        if (values.some((v) => v === undefined)) return undefined;
        if (values.length === 0) return integer(0);
        const sum = (values as Term[]).reduce((total, v) => applyOperator('+', [total, v]), integer(0));
        return applyOperator('/', [sum, integer(values.length)]);
      }
      case 'MIN':
      case 'MAX': {
        if (values.length === 0 || values.some((v) => v === undefined)) return undefined;
        const sign = aggregate.function === 'MIN' ? 1 : -1;
        // The result is a value, written canonically (the W3C tests expect "2.0E-1" for "2E-1").
        return canonicalLiteral((values as Term[]).reduce((best, v) => (sign * compareForOrderBy(v, best) < 0 ? v : best)));
      }
      case 'GROUP_CONCAT': {
        if (values.some((v) => v === undefined || v.termType !== 'Literal')) return undefined;
        const text = (values as Array<Extract<Term, { termType: 'Literal' }>>).map((v) => v.value).join(aggregate.separator);
        return { termType: 'Literal', value: text, language: '', datatype: `${XSD}string` };
      }
    }
  } catch (error) {
    if (error instanceof ExpressionError) return undefined;
    throw error;
  }
}
