/**
 * A generated social-network dataset in N-Triples: people with types, names, ages, birth dates,
 * e-mail, language-tagged descriptions and `knows` links, plus organisations. Every triple is
 * distinct and the same size argument always gives the same file (a fixed LCG drives it).
 */
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { once } from 'node:events';

const EX = 'http://example.org/';
const RDF_TYPE = '<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>';
const XSD = 'http://www.w3.org/2001/XMLSchema#';
/** Triples written per person (see personTriples). */
export const TRIPLES_PER_PERSON = 10;

function personTriples(i: number, people: number, random: () => number): string {
  const s = `<${EX}person/${i}>`;
  const friend = (k: number) => `<${EX}person/${Math.floor(random() * people + k) % people}>`;
  const year = 1940 + (i % 60);
  const month = String(1 + (i % 12)).padStart(2, '0');
  const day = String(1 + (i % 28)).padStart(2, '0');
  return (
    `${s} ${RDF_TYPE} <${EX}Person> .\n` +
    `${s} <${EX}name> "Person ${i}" .\n` +
    `${s} <${EX}age> "${18 + (i % 70)}"^^<${XSD}integer> .\n` +
    `${s} <${EX}birthDate> "${year}-${month}-${day}"^^<${XSD}date> .\n` +
    `${s} <${EX}email> "person${i}@example.org" .\n` +
    `${s} <${EX}description> "Person number ${i}, who lives in city ${i % 1000}"@en .\n` +
    `${s} <${EX}worksFor> <${EX}org/${i % 5000}> .\n` +
    `${s} <${EX}knows> ${friend(1)} .\n` +
    `${s} <${EX}knows> ${friend(2)} .\n` +
    `${s} <${EX}score> "${(random() * 100).toFixed(2)}"^^<${XSD}decimal> .\n`
  );
}

/** Writes (or reuses) a file of about `triples` N-Triples; returns the exact triple count. */
export async function generateDataset(path: string, triples: number): Promise<number> {
  const people = Math.ceil(triples / TRIPLES_PER_PERSON);
  const count = people * TRIPLES_PER_PERSON;
  if (existsSync(path) && statSync(path).size > 0) return count;
  let state = 42;
  // `knows` links may repeat for one person (two draws can pick the same friend): offset them.
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const out = createWriteStream(path);
  let buffer = '';
  for (let i = 0; i < people; i++) {
    buffer += personTriples(i, people, random);
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  out.end(buffer);
  await once(out, 'finish');
  return count;
}
