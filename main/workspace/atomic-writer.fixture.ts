// Writes two versions of one file over and over with writeFileAtomic, until
// killed: the atomic-save test kills it with SIGKILL mid-save and checks the
// file is always one whole version. Prints "ready" once the first write is done.
import { writeFileAtomic } from './atomic.js';

const [path, sizeText] = process.argv.slice(2);
const size = Number(sizeText);
const versions = ['a', 'b'].map((c) => `name: version ${c}\nprotocol: tcp\ntarget: 127.0.0.1:7\ndata: ${c.repeat(size)}\n`);
writeFileAtomic(path!, versions[0]!);
process.stdout.write('ready\n');
for (let i = 1; ; i++) writeFileAtomic(path!, versions[i % 2]!);
