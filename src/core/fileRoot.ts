// Temporary (lead): replaced by the merkle branch on merge.
export function fileMerkle(_d: Uint8Array): { numChunks: number; paddedChunks: number; numSegmentsPadded: number; dataRoot: Uint8Array; submissionNodes: { root: Uint8Array; height: number }[]; uploadSegmentProof(i: number): { lemma: Uint8Array[]; path: boolean[] } } {
  throw new Error('not merged yet');
}
