/**
 * Human-readable ABI fragments of the calls the miner makes (spec §2, §7). They match the
 * current 0gfoundation contracts (commit 40e6dec); the miner needs no compiled artifacts.
 */
const RANGE = '(uint256 startPosition, uint256 mineLength, uint64 shardId, uint64 shardMask)';
const CONTEXT = '(uint256 epoch, uint256 mineStart, bytes32 flowRoot, uint256 flowLength, bytes32 blockDigest, bytes32 digest)';
export const PORA_ANSWER_TUPLE =
  `(bytes32 contextDigest, bytes32 nonce, bytes32 minerId, ${RANGE} range, uint256 recallPosition, uint256 sealOffset, ` +
  'bytes32 sealedContextDigest, bytes32[128] sealedData, bytes32[] merkleProof)';
const SUBMISSION = '((uint256 length, bytes tags, (bytes32 root, uint256 height)[] nodes) data, address submitter)';

export const PORA_MINE_ABI = [
  'function poraVersion() view returns (uint256)',
  'function flow() view returns (address)',
  'function reward() view returns (address)',
  `function computeWorkerContext(bytes32 minerId) returns (${CONTEXT} context, uint256 poraTarget, bytes32 subtaskDigest, uint64 maxShards)`,
  'function requestMinerId(address beneficiary, uint64 seed)',
  'function beneficiaries(bytes32 minerId) view returns (address)',
  `function submit(${PORA_ANSWER_TUPLE} answer)`,
  'function sealDataEnabled() view returns (bool)',
  'function dataProofEnabled() view returns (bool)',
  'function maxShards() view returns (uint64)',
  'function poraTarget() view returns (uint256)',
  'function targetMineBlocks() view returns (uint256)',
  'function nSubtasks() view returns (uint256)',
  'function subtaskInterval() view returns (uint256)',
  'event NewMinerId(bytes32 indexed minerId, address indexed beneficiary)',
  'event NewSubmission(uint256 indexed epoch, bytes32 indexed minerId, uint256 epochIndex, uint256 recallPosition)',
] as const;

export const FLOW_ABI = [
  `function makeContextWithResult() returns (${CONTEXT})`,
  'function makeContext()',
  `function getContext() view returns (${CONTEXT})`,
  'function queryContextAtPosition(uint128 targetPosition) returns ((uint128 start, uint128 end, bytes32 digest))',
  'function getEpochRange(bytes32 digest) view returns ((uint128 start, uint128 end))',
  'function getEpochRangeHistory(uint256 index) view returns ((uint128 start, uint128 end, bytes32 digest))',
  'function firstBlock() view returns (uint256)',
  'function blocksPerEpoch() view returns (uint256)',
  'function epoch() view returns (uint256)',
  'function submissionIndex() view returns (uint256)',
  'function getFlowRootByTxSeq(uint256 txSeq) view returns (bytes32)',
  'function market() view returns (address)',
  `function submit(${SUBMISSION} submission) payable returns (uint256, bytes32, uint256, uint256)`,
  `event Submit(address indexed sender, bytes32 indexed identity, uint256 submissionIndex, uint256 startPos, uint256 length, (uint256 length, bytes tags, (bytes32 root, uint256 height)[] nodes) submission)`,
  'event NewEpoch(address indexed sender, uint256 indexed index, bytes32 startMerkleRoot, uint256 submissionIndex, uint256 flowLength, bytes32 context)',
] as const;

export const MARKET_ABI = ['function pricePerSector() view returns (uint256)'] as const;
