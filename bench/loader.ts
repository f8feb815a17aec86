/**
 * Loader benchmark: `node dist/bench/loader.js --file F [--seconds S] [--inflight N] [--rounds R] [--path read|borrowed] [--no-fio]`.
 * Same measurement as `zg-miner bench loader`; prints one JSON line.
 */
import { parseArgs } from 'node:util';
import { benchLoader } from '../src/store/loaderVsFio.js';
import { reexecWithLoaderEnv } from '../src/store/threadpool.js';

const { values } = parseArgs({
  options: {
    file: { type: 'string' },
    seconds: { type: 'string', default: '20' },
    inflight: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '4' },
    path: { type: 'string', default: 'read' },
    'no-fio': { type: 'boolean', default: false },
  },
});
if (values.file === undefined) {
  process.stderr.write('usage: node dist/bench/loader.js --file F [--seconds S] [--inflight N] [--rounds R] [--path read|borrowed] [--no-fio]\n');
  process.exit(1);
}
const code = await reexecWithLoaderEnv(Number(values.inflight));
if (code !== null) process.exit(code);
const report = await benchLoader({ file: values.file, seconds: Number(values.seconds), inflight: Number(values.inflight), rounds: Number(values.rounds), path: values.path === 'borrowed' ? 'borrowed' : 'read', fio: !values['no-fio'] });
process.stdout.write(JSON.stringify(report) + '\n');
