/**
 * file-root vectors: the data root, submission nodes and upload segment proofs the official SDK
 * computes for a file (shared/vectors/README.md, file-root section), recomputed with core/fileRoot.
 */
import { toHex } from '../bytes.js';
import { fileMerkle } from '../core/fileRoot.js';
import { fileRootData, getField, jsonArray, jsonObject, uintField } from './vectorCase.js';

/** [field, expected, got] triples for one file-root case. */
export function checkFileRootCase(raw: unknown): [string, string, string][] {
  const c = jsonObject(raw, '(case)');
  const data = fileRootData(jsonObject(getField(c, 'data'), 'data'));
  const m = fileMerkle(data);
  const rows: [string, string, string][] = [];
  const str = (key: string): string => {
    const v = getField(c, key);
    return typeof v === 'string' ? v.toLowerCase() : String(v);
  };
  rows.push(['size', str('size'), String(data.length)]);
  rows.push(['numChunks', str('numChunks'), String(m.numChunks)]);
  rows.push(['paddedChunks', str('paddedChunks'), String(m.paddedChunks)]);
  rows.push(['numSegmentsPadded', str('numSegmentsPadded'), String(m.numSegmentsPadded)]);
  rows.push(['dataRoot', str('dataRoot'), toHex(m.dataRoot)]);

  const nodes = jsonArray(getField(c, 'submissionNodes'), 'submissionNodes');
  rows.push(['submissionNodes.length', String(nodes.length), String(m.submissionNodes.length)]);
  nodes.forEach((n, k) => {
    const o = jsonObject(n, `submissionNodes[${k}]`);
    const got = m.submissionNodes[k];
    rows.push([`submissionNodes[${k}].root`, String(o['root']).toLowerCase(), got ? toHex(got.root) : 'nothing']);
    rows.push([`submissionNodes[${k}].height`, String(o['height']), got ? String(got.height) : 'nothing']);
  });

  const proofs = jsonArray(getField(c, 'uploadSegmentProofs'), 'uploadSegmentProofs');
  proofs.forEach((p, k) => {
    const o = jsonObject(p, `uploadSegmentProofs[${k}]`);
    const index = Number(uintField(o, 'index', 53, `uploadSegmentProofs[${k}].`));
    const got = m.uploadSegmentProof(index);
    const lemma = jsonArray(getField(o, 'lemma', `uploadSegmentProofs[${k}].`), `uploadSegmentProofs[${k}].lemma`);
    const path = jsonArray(getField(o, 'path', `uploadSegmentProofs[${k}].`), `uploadSegmentProofs[${k}].path`);
    rows.push([`uploadSegmentProofs[${k}].lemma`, JSON.stringify(lemma.map((x) => String(x).toLowerCase())), JSON.stringify(got.lemma.map(toHex))]);
    rows.push([`uploadSegmentProofs[${k}].path`, JSON.stringify(path), JSON.stringify(got.path)]);
  });
  return rows;
}
