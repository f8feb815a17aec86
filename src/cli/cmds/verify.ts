/**
 * `zg-miner verify ANSWER.json`: the verdict PoraMine.submit() would give for {answer, view}.
 * stdout is exactly `valid quality=0x…` or `invalid: <reason>`; warnings go to stderr.
 * Exit 0 valid, 2 invalid, 1 usage or input error.
 */
import { readFile } from 'node:fs/promises';
import type { CommandModule } from 'yargs';
import { toHex } from '../../bytes.js';
import { MinerError } from '../../errors.js';
import { parseAnswerFile } from '../../verify/answerJson.js';
import { verifyAnswer } from '../../verify/verifyAnswer.js';

interface VerifyArgs {
  file: string;
}

export const verifyCommand: CommandModule<object, VerifyArgs> = {
  command: 'verify <file>',
  describe: 'Check a mining proof offline with the PoraMine contract verdicts ({answer, view} JSON, see README)',
  builder: (y) => y.positional('file', { type: 'string', demandOption: true, describe: 'answer JSON file' }),
  handler: async (args) => {
    let text: string;
    try {
      text = await readFile(args.file, 'utf8');
    } catch (e) {
      throw new MinerError('BAD_INPUT', `${args.file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    const { answer, view } = parseAnswerFile(text, args.file);
    const result = verifyAnswer(answer, view);
    for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
    if (result.ok) {
      process.stdout.write(`valid quality=${toHex(result.quality)}\n`);
      process.exitCode = 0;
    } else {
      process.stdout.write(`invalid: ${result.reason}\n`);
      process.exitCode = 2;
    }
  },
};
