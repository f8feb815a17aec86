/**
 * Warnings for config keys zg-miner does not read. A node config holds many keys of the 0G node
 * itself (networking, sync, pruning): those are expected and pass silently. A key that is neither
 * and lies within a few edits of a key zg-miner reads is almost surely a misspelling, which would
 * otherwise be ignored and leave a default in force; it gets one warning naming that key.
 */

/** Top-level keys of the 0G storage node's config.toml that zg-miner leaves to the node. */
export const NODE_ONLY_KEYS: readonly string[] = [
  'network_dir', 'network_enr_address', 'network_enr_tcp_port', 'network_enr_udp_port', 'network_libp2p_port',
  'network_discovery_port', 'network_target_peers', 'network_boot_nodes', 'network_libp2p_nodes', 'network_private',
  'network_disable_discovery', 'network_find_chunks_enabled', 'network_incoming_peers', 'network_outgoing_peers',
  'discv5_request_timeout_secs', 'discv5_query_peer_timeout_secs', 'discv5_request_retries', 'discv5_query_parallelism',
  'discv5_report_discovered_peers', 'discv5_disable_packet_filter', 'discv5_disable_ip_limit',
  'log_sync_start_block_number', 'force_log_sync_from_start_block_number', 'confirmation_block_count', 'log_page_size',
  'max_cache_data_size', 'cache_tx_seq_ttl', 'rate_limit_retries', 'timeout_retries', 'initial_backoff',
  'recover_query_delay', 'default_finalized_block_count', 'remove_finalized_block_interval_minutes',
  'watch_loop_wait_time_ms', 'blockchain_rpc_timeout_secs', 'db_max_num_sectors', 'prune_check_time_s',
  'prune_batch_size', 'prune_batch_wait_time_ms', 'log_config_file', 'log_directory', 'neighbors_only',
  'network_peer_manager', 'mine_cpu_percentage_disabled',
];

/** Edit distance (insert, delete, substitute, swap of neighbours) between two short keys. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  return d[a.length]![b.length]!;
}

/** The known key nearest to `key` when it is close enough to be a misspelling of it, else null. */
export function nearestKey(key: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const k of known) {
    const dist = editDistance(key.toLowerCase(), k);
    if (dist < bestD) [best, bestD] = [k, dist];
  }
  // Up to 3 edits, and fewer than a third of the key: `miner_cpu_percent` → `miner_cpu_percentage`,
  // but `db_dir` is never taken for `data_dir`'s misspelling.
  return best !== null && bestD > 0 && bestD <= 3 && bestD * 3 < key.length ? best : null;
}

/**
 * One warning per key of `keys` (dotted for tables) that zg-miner does not read: for a top-level
 * key only when it is near a key zg-miner reads and is no node key; inside a table zg-miner owns
 * (`tables`) for every unknown key, naming the nearest known one.
 */
export function unknownKeyWarnings(source: string, keys: readonly string[], known: readonly string[], tables: readonly string[]): string[] {
  const out: string[] = [];
  const knownSet = new Set(known);
  const nodeSet = new Set(NODE_ONLY_KEYS);
  for (const key of keys) {
    if (knownSet.has(key) || nodeSet.has(key)) continue;
    const dot = key.indexOf('.');
    const table = dot < 0 ? null : key.slice(0, dot);
    if (table !== null && !tables.includes(table)) continue;
    if (table !== null) {
      const siblings = known.filter((k) => k.startsWith(`${table}.`));
      let best = siblings[0] ?? null;
      for (const k of siblings) if (editDistance(key, k) < editDistance(key, best!)) best = k;
      out.push(`${source}: unknown key ${key} is ignored${best ? `; did you mean ${best}?` : ''}`);
      continue;
    }
    const near = nearestKey(key, known);
    if (near !== null) out.push(`${source}: unknown key ${key} is ignored; did you mean ${near}?`);
  }
  return out;
}
