/**
 * Miner configuration: the 0G storage node's own TOML (`config.toml`) keys that mining needs, so an
 * operator can point zg-miner at the node's file. Unknown keys are ignored (a node config has many);
 * one that looks like a misspelling of a key zg-miner reads is named in `warnings` (unknownKeys.ts).
 *
 * Precedence, lowest first: defaults → file → `ZGS_NODE__<KEY>` env variables (upper-case key,
 * nested tables joined with `__`, e.g. `ZGS_NODE__SUBMISSION_CONFIG__MAX_RETRIES`) → `overrides`
 * (command-line flags). Every bad value is one `MinerError('BAD_CONFIG')` line naming the source and
 * the key. The miner key never appears in a message, `JSON.stringify`, or `util.inspect` output.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { inspect } from 'node:util';
import { parse, TomlError } from 'smol-toml';
import { MinerError } from '../errors.js';
import { toHex } from '../bytes.js';
import { shardFromPosition } from '../core/recallRange.js';
import { unknownKeyWarnings } from './unknownKeys.js';
import { address, badConfig, bigUint, hex32, int, secretHex32, str, url, type ValueOrigin } from './fields.js';

export interface SubmissionConfig {
  /** Wei; null = ask the RPC node. */
  initialGasPrice: bigint | null;
  maxGasPrice: bigint | null;
  maxGas: bigint | null;
  /** Percent added to the gas price on each retry of a stuck submission. */
  gasIncreaseFactor: number;
  maxRetries: number;
  intervalSecs: number;
}

export const DEFAULT_RPC_ENDPOINT = 'http://127.0.0.1:8545';
export const DEFAULT_DATA_DIR = 'db';

/** Data fields of MinerConfig (everything but the key and the methods). */
export interface MinerConfigValues {
  rpcEndpoint: string;
  logContractAddress: string | null;
  mineContractAddress: string | null;
  rewardContractAddress: string | null;
  minerId: Uint8Array | null;
  /** "id/num" as configured; shardId/shardMask/numShards derived from it. */
  shardPosition: string;
  shardId: bigint;
  shardMask: bigint;
  numShards: bigint;
  mineIterBatchSize: number;
  mineContextQuerySeconds: number;
  /** 1..100 (larger values are clamped to 100). */
  minerCpuPercentage: number;
  submission: SubmissionConfig;
  /** Absolute path of the sealed store (`data_dir`, else the node's `db_dir`). */
  dataDir: string;
  /** Where the key came from, if from a file (the path is not secret). */
  minerKeyFile: string | null;
  /** The config file read, if any. */
  configFile: string | null;
  /** zgs JSON-RPC URLs to sync flow data from (`[sync] peers`, `--peer`). */
  syncPeers: string[];
  /** `log_sync_start_block_number`: the block Flow events are read from (null: the Flow's deployment block). */
  logSyncStartBlock: number | null;
}

export class MinerConfig implements MinerConfigValues {
  rpcEndpoint = DEFAULT_RPC_ENDPOINT;
  logContractAddress: string | null = null;
  mineContractAddress: string | null = null;
  rewardContractAddress: string | null = null;
  minerId: Uint8Array | null = null;
  shardPosition = '0/1';
  shardId = 0n;
  shardMask = (1n << 64n) - 1n;
  numShards = 1n;
  mineIterBatchSize = 100;
  mineContextQuerySeconds = 5;
  minerCpuPercentage = 100;
  submission: SubmissionConfig = {
    initialGasPrice: null,
    maxGasPrice: null,
    maxGas: null,
    gasIncreaseFactor: 11,
    maxRetries: 5,
    intervalSecs: 2,
  };
  dataDir = resolve(DEFAULT_DATA_DIR);
  minerKeyFile: string | null = null;
  configFile: string | null = null;
  syncPeers: string[] = [];
  logSyncStartBlock: number | null = null;
  /** One line per config key that looks like a misspelling of a key zg-miner reads (the caller logs them). */
  warnings: string[] = [];
  // A private field: invisible to JSON.stringify, object spread, and util.inspect.
  #minerKey: string | null = null;

  /** The signing key as 0x-prefixed hex, or null. Pass it to the wallet only; never log it. */
  get minerKey(): string | null {
    return this.#minerKey;
  }
  set minerKey(v: string | null) {
    this.#minerKey = v;
  }

  /** A loggable copy: the key replaced by "<redacted>" (or null), bigints and bytes as strings. */
  redacted(): Record<string, unknown> {
    const s = this.submission;
    return {
      rpcEndpoint: this.rpcEndpoint,
      logContractAddress: this.logContractAddress,
      mineContractAddress: this.mineContractAddress,
      rewardContractAddress: this.rewardContractAddress,
      minerKey: this.#minerKey === null ? null : '<redacted>',
      minerKeyFile: this.minerKeyFile,
      minerId: this.minerId === null ? null : toHex(this.minerId),
      shardPosition: this.shardPosition,
      mineIterBatchSize: this.mineIterBatchSize,
      mineContextQuerySeconds: this.mineContextQuerySeconds,
      minerCpuPercentage: this.minerCpuPercentage,
      submission: {
        initialGasPrice: s.initialGasPrice?.toString() ?? null,
        maxGasPrice: s.maxGasPrice?.toString() ?? null,
        maxGas: s.maxGas?.toString() ?? null,
        gasIncreaseFactor: s.gasIncreaseFactor,
        maxRetries: s.maxRetries,
        intervalSecs: s.intervalSecs,
      },
      dataDir: this.dataDir,
      configFile: this.configFile,
      syncPeers: this.syncPeers,
      logSyncStartBlock: this.logSyncStartBlock,
    };
  }
  toJSON(): Record<string, unknown> {
    return this.redacted();
  }
  [inspect.custom](): string {
    return `MinerConfig ${inspect(this.redacted(), { depth: 3 })}`;
  }
}

/** TOML key (dotted for [submission_config]) → how to apply a raw value to the config. */
type Apply = (c: MinerConfig, at: ValueOrigin, v: unknown) => void;

const KEYS: Record<string, Apply> = {
  blockchain_rpc_endpoint: (c, at, v) => (c.rpcEndpoint = url(at, v)),
  log_contract_address: (c, at, v) => (c.logContractAddress = address(at, v)),
  mine_contract_address: (c, at, v) => (c.mineContractAddress = address(at, v)),
  reward_contract_address: (c, at, v) => (c.rewardContractAddress = address(at, v)),
  miner_id: (c, at, v) => (c.minerId = hex32(at, v)),
  shard_position: (c, at, v) => {
    const p = str(at, v);
    let shard: ReturnType<typeof shardFromPosition>;
    try {
      shard = shardFromPosition(p);
    } catch {
      throw badConfig(at, '"<shard_id>/<num_shard>" with num_shard a power of two and shard_id below it', v);
    }
    c.shardPosition = p;
    c.shardId = shard.shardId;
    c.shardMask = shard.shardMask;
    c.numShards = shard.numShards;
  },
  mine_iter_batch_size: (c, at, v) => (c.mineIterBatchSize = int(at, v, 1, 2 ** 32)),
  mine_context_query_seconds: (c, at, v) => (c.mineContextQuerySeconds = int(at, v, 1, 86400)),
  miner_cpu_percentage: (c, at, v) => {
    // 0 would mean "never mine": almost surely a mistake, so refuse it; over 100 means "all of it".
    c.minerCpuPercentage = Math.min(100, int(at, v, 1, Number.MAX_SAFE_INTEGER, 'a percentage from 1 to 100'));
  },
  'submission_config.initial_gas_price': (c, at, v) => (c.submission.initialGasPrice = bigUint(at, v, 'a gas price in wei')),
  'submission_config.max_gas_price': (c, at, v) => (c.submission.maxGasPrice = bigUint(at, v, 'a gas price in wei')),
  'submission_config.max_gas': (c, at, v) => (c.submission.maxGas = bigUint(at, v, 'a gas limit')),
  'submission_config.gas_increase_factor': (c, at, v) => (c.submission.gasIncreaseFactor = int(at, v, 1, 1000)),
  'submission_config.max_retries': (c, at, v) => (c.submission.maxRetries = int(at, v, 0, 1000)),
  'submission_config.interval_secs': (c, at, v) => (c.submission.intervalSecs = int(at, v, 1, 86400)),
  log_sync_start_block_number: (c, at, v) => (c.logSyncStartBlock = int(at, v, 0, Number.MAX_SAFE_INTEGER)),
  // A TOML array, or (env, flags) one string of comma-separated URLs.
  'sync.peers': (c, at, v) => {
    const list = typeof v === 'string' ? v.split(',').map((x) => x.trim()).filter((x) => x !== '') : v;
    if (!Array.isArray(list)) throw badConfig(at, 'a list of http(s) URLs', v);
    c.syncPeers = list.map((u) => {
      const s = url(at, u);
      if (!/^https?:/i.test(s)) throw badConfig(at, 'http(s) URLs of zgs JSON-RPC peers', u);
      return s;
    });
  },
};
const KEY_KEYS = ['miner_key', 'miner_key_file'];
const DIR_KEYS = ['db_dir', 'data_dir'];

/** camelCase override field → TOML key, so overrides pass the same checks (labelled as flags). */
const OVERRIDE_KEYS: Record<string, string> = {
  rpcEndpoint: 'blockchain_rpc_endpoint',
  logContractAddress: 'log_contract_address',
  mineContractAddress: 'mine_contract_address',
  rewardContractAddress: 'reward_contract_address',
  minerId: 'miner_id',
  minerKey: 'miner_key',
  minerKeyFile: 'miner_key_file',
  shardPosition: 'shard_position',
  mineIterBatchSize: 'mine_iter_batch_size',
  mineContextQuerySeconds: 'mine_context_query_seconds',
  minerCpuPercentage: 'miner_cpu_percentage',
  dataDir: 'data_dir',
  syncPeers: 'sync.peers',
  logSyncStartBlock: 'log_sync_start_block_number',
};
const SUBMISSION_OVERRIDE_KEYS: Record<string, string> = {
  initialGasPrice: 'initial_gas_price',
  maxGasPrice: 'max_gas_price',
  maxGas: 'max_gas',
  gasIncreaseFactor: 'gas_increase_factor',
  maxRetries: 'max_retries',
  intervalSecs: 'interval_secs',
};

/** One source of raw values, keyed by TOML key; each value carries its own origin for messages. */
interface Layer {
  values: Map<string, { at: ValueOrigin; value: unknown }>;
  /** Lines about keys of this layer that nothing reads. */
  warnings?: string[];
}

export interface LoadConfigOptions {
  file?: string;
  env?: NodeJS.ProcessEnv;
  overrides?: Partial<MinerConfig>;
}

/**
 * Builds the config from defaults, the TOML file, `ZGS_NODE__*` env variables and overrides.
 * @throws MinerError BAD_CONFIG on an unreadable or malformed file or any bad value.
 */
export function loadConfig(opts: LoadConfigOptions = {}): MinerConfig {
  const layers: Layer[] = [];
  if (opts.file !== undefined) layers.push(fileLayer(opts.file));
  if (opts.env !== undefined) layers.push(envLayer(opts.env));
  if (opts.overrides !== undefined) layers.push(overrideLayer(opts.overrides));

  const c = new MinerConfig();
  if (opts.file !== undefined) c.configFile = resolve(opts.file);
  for (const layer of layers) {
    for (const [key, { at, value }] of layer.values) KEYS[key]?.(c, at, value);
  }
  applyDataDir(c, layers);
  applyKey(c, layers);
  c.warnings = layers.flatMap((l) => l.warnings ?? []);
  return c;
}

function fileLayer(file: string): Layer {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new MinerError('BAD_CONFIG', `${file}: cannot read the config file (${code}); check the --config path`, { cause: e });
  }
  let doc: Record<string, unknown>;
  try {
    doc = parse(text, { integersAsBigInt: true }) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof TomlError) {
      const reason = e.message.replace(/^Invalid TOML document: /, '').split('\n')[0];
      throw new MinerError('BAD_CONFIG', `${file}:${e.line}:${e.column}: invalid TOML: ${reason}`, { cause: e });
    }
    throw e;
  }
  const values: Layer['values'] = new Map();
  const put = (key: string, value: unknown): void => {
    values.set(key, { at: { source: file, key }, value });
  };
  for (const [k, v] of Object.entries(doc)) {
    if ((k === 'submission_config' || k === 'sync') && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [sk, sv] of Object.entries(v as Record<string, unknown>)) put(`${k}.${sk}`, sv);
    } else if (k === 'submission_config' || k === 'sync') {
      throw badConfig({ source: file, key: k }, `a table ([${k}])`, v);
    } else {
      put(k, v);
    }
  }
  // Tables other than [submission_config] belong to the node ([sync] too: we read only its peers); their keys are not ours to judge.
  const keys = [...values.keys()].filter((k) => k.includes('.') || !isTable(doc[k]));
  return { values, warnings: unknownKeyWarnings(file, keys, CONFIG_KEYS, ['submission_config']) };
}

function isTable(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);
}

function envLayer(env: NodeJS.ProcessEnv): Layer {
  const values: Layer['values'] = new Map();
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('ZGS_NODE__') || value === undefined) continue;
    const key = name.slice('ZGS_NODE__'.length).toLowerCase().split('__').join('.');
    values.set(key, { at: { source: `env ${name}`, key }, value });
  }
  return { values };
}

function overrideLayer(o: Partial<MinerConfig>): Layer {
  const values: Layer['values'] = new Map();
  const put = (key: string, flag: string, value: unknown): void => {
    if (value === undefined || value === null) return;
    const raw =
      value instanceof Uint8Array ? toHex(value) : typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : value;
    values.set(key, { at: { source: 'command line', key: `--${flag.replace(/_/g, '-')}` }, value: raw });
  };
  for (const [field, key] of Object.entries(OVERRIDE_KEYS)) {
    put(key, key, (o as Record<string, unknown>)[field]);
  }
  if (o.submission !== undefined) {
    for (const [field, key] of Object.entries(SUBMISSION_OVERRIDE_KEYS)) {
      put(`submission_config.${key}`, key, (o.submission as unknown as Record<string, unknown>)[field]);
    }
  }
  return { values };
}

function applyDataDir(c: MinerConfig, layers: Layer[]): void {
  // zg-miner's own data_dir wins over the node's db_dir within a layer; later layers win overall.
  for (const layer of layers) {
    for (const key of DIR_KEYS) {
      const e = layer.values.get(key);
      if (e !== undefined) c.dataDir = resolve(str(e.at, e.value));
    }
  }
}

function applyKey(c: MinerConfig, layers: Layer[]): void {
  for (const layer of layers) {
    const inline = layer.values.get('miner_key');
    const file = layer.values.get('miner_key_file');
    if (inline !== undefined && file !== undefined) {
      throw badConfig(inline.at, `either ${inline.at.key} or ${file.at.key}, not both`);
    }
    if (inline !== undefined) {
      c.minerKey = secretHex32(inline.at, inline.value);
      c.minerKeyFile = null;
    } else if (file !== undefined) {
      const path = resolve(str(file.at, file.value));
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? 'error';
        throw badConfig(file.at, `a readable key file (${code})`, path);
      }
      c.minerKey = secretHex32({ source: path, key: 'miner key' }, text.trim());
      c.minerKeyFile = path;
    }
  }
}

/** Keys this loader understands (for `--help`-style listings and tests). */
export const CONFIG_KEYS: readonly string[] = [...Object.keys(KEYS), ...KEY_KEYS, ...DIR_KEYS];
