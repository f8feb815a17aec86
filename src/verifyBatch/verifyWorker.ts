/** A batch-verification worker: one pora.wasm instance, verifying each request's items in order. */
import { serveRpc } from '../workerRpc/workerRpc.js';
import { wasmHashes } from './wasmHashes.js';
import { verifyItem, type BatchItem, type ItemResult } from './verifyItem.js';

const hashes = wasmHashes();
serveRpc<BatchItem[], ItemResult[]>((items) => items.map((item) => verifyItem(item, hashes)));
