// Messages that come from shared/ (the contract's validation, address and
// codec checks) and from main (errno explanations, refusals), written in
// English there because main and the CLI speak English. The page shows them
// in its language through this table: exact sentences, and patterns whose
// captured parts (parameter names, numbers, lists, quoted input) are kept.
// A message made of parts ("connect: ECONNREFUSED (111): nothing is
// listening…", "address \"x\": not an IP…") is translated part by part.
// Call names, constants, errno names and parameter names stay as they are:
// they are the socket API's vocabulary. Units: ms, µs, s in both languages.
//
// test/i18n/messages.test.ts walks every message the contract's schemas can
// give, every errno explanation and getaddrinfo failure, and fails on one
// without a zh-CN entry here.
import type { Locale } from './index.js';

/** Whole sentences, English → 简体中文. */
export const ZH_SENTENCES: Record<string, string> = {
  // Errno explanations (main/core/errors.ts)
  'nothing is listening there: the peer answered the SYN with a reset': '那里没有程序在监听：对端用复位（RST）回应了 SYN',
  'the peer reset the connection': '对端复位了连接',
  'no answer within the timeout': '超时内没有应答',
  'another socket is already bound to that address and port': '另一个套接字已绑定到该地址和端口',
  'that address does not belong to this machine': '该地址不属于本机',
  'permission denied (ports below 1024 need privileges)': '权限不足（1024 以下的端口需要特权）',
  'the address is of another family than the socket': '地址的协议族与套接字不同',
  'the call is not valid in the socket’s current state': '该调用在套接字的当前状态下无效',
  'the socket is not connected': '套接字未连接',
  'the socket is already connected': '套接字已连接',
  'the connection is closed for writing': '连接的写方向已关闭',
  'no data available right now (non-blocking)': '当前没有可读数据（非阻塞）',
  'the socket is closed': '套接字已关闭',
  'the operation is not supported for this socket type': '此套接字类型不支持该操作',
  'no route to that host': '没有到该主机的路由',
  'the network is unreachable': '网络不可达',
  'the message is too long for this socket': '消息对此套接字来说太长',
  'this process has no free file descriptor (its open-files limit, ulimit -n, is reached): close some sessions and try again': '本进程没有空闲的文件描述符（已达打开文件上限 ulimit -n）：请关闭一些会话后重试',
  'the system has no free file descriptor (its limit, fs.file-max, is reached)': '系统没有空闲的文件描述符（已达上限 fs.file-max）',
  'the kernel refused the call': '内核拒绝了该调用',
  // The scenario runner (main/automation/runner.ts)
  stopped: '已停止',
  // getaddrinfo (main/core/resolve.ts): gai_strerror's words
  'Name or service not known': '未知的名称或服务',
  'Temporary failure in name resolution': '名称解析暂时失败',
  'Non-recoverable failure in name resolution': '名称解析发生不可恢复的错误',
  'No address associated with hostname': '该主机名没有关联的地址',
  'Address family for hostname not supported': '不支持该主机名的地址族',
  'Memory allocation failure': '内存分配失败',
  'System error': '系统错误',
  'name resolution failed': '名称解析失败',
  // Refusals in a session's state (main/engine)
  'a datagram socket needs connect() or sendto(address)': '数据报套接字需要先 connect()，或使用 sendto(address)',
  'accept needs a listening socket: call listen first': 'accept 需要正在监听的套接字：请先调用 listen',
  'auto-accept is on: connections are accepted as they arrive; switch to manual accept to take them one by one': '已开启自动 accept：连接到达即被接受；切换为手动 accept 可逐个接受',
  'auto-read is on: data is read as it arrives; switch to manual read mode to call recv': '已开启自动读取：数据到达即被读取；切换为手动读取模式后才能调用 recv',
  'auto-read is on: datagrams are shown as they arrive; switch to manual read mode to call recvfrom': '已开启自动读取：数据报到达即显示；切换为手动读取模式后才能调用 recvfrom',
  'listen is for stream sockets; a SOCK_DGRAM socket receives once bound': 'listen 用于流式套接字；SOCK_DGRAM 套接字绑定后即可接收',
  'no connection is waiting': '没有等待中的连接',
  'no data available right now (non-blocking socket)': '当前没有可读数据（非阻塞套接字）',
  'only a listening socket accepts connections: call listen first': '只有正在监听的套接字才能接受连接：请先调用 listen',
  'only a listening stream socket accepts connections': '只有正在监听的流式套接字才能接受连接',
  'read mode was switched to auto: datagrams are shown as they arrive': '读取模式已切换为自动：数据报到达即显示',
  'repeated sends are for datagram (UDP) sessions; use sendall on a stream': '重复发送用于数据报（UDP）会话；流式套接字请用 sendall',
  'shutdown applies to connections; close a datagram socket instead': 'shutdown 作用于连接；数据报套接字请直接 close',
  'the datagram came from an unnamed (unbound) socket: there is no address to answer to': '该数据报来自未命名（未绑定）的套接字：没有可回复的地址',
  'the listener was switched to auto accept: connections are accepted as they arrive': '监听器已切换为自动 accept：连接到达即被接受',
  'the socket has no default peer (connect it first)': '套接字没有默认对端（请先 connect）',
  'the socket has no local address yet': '套接字还没有本地地址',
  'the socket is already bound': '套接字已绑定',
  'the socket is connected; use send': '套接字已连接；请使用 send',
  'the socket is not bound: bind it (or send once) first': '套接字未绑定：请先 bind（或先发送一次）',
  // The raw-socket helper's status (main/raw)
  'ICMP (ping, traceroute) and raw sockets need CAP_NET_RAW, root or administrator rights, and Sockbench runs without them. TCP, UDP and Unix sockets work as usual. You can let Sockbench start its small raw-socket helper with those rights (the app itself stays unprivileged).':
    'ICMP（ping、traceroute）和原始套接字需要 CAP_NET_RAW、root 或管理员权限，而 Sockbench 没有这些权限。TCP、UDP 和 Unix 套接字照常工作。你可以让 Sockbench 以这些权限启动它的小型原始套接字辅助进程（应用本身仍不提权）。',
  'running as root': '以 root 身份运行',
  'the process has CAP_NET_RAW': '进程拥有 CAP_NET_RAW',
  'running as administrator': '以管理员身份运行',
  'waiting for the authentication prompt to be answered': '正在等待身份验证提示的回应',
  'starting the raw-socket helper': '正在启动原始套接字辅助进程',
  'the raw-socket helper was stopped': '原始套接字辅助进程已停止',
  // Trace results (main/engine): what a call returned, in words
  'None (every byte queued)': 'None（每个字节都已排队）',
  'None (blocking: calls wait as long as it takes)': 'None（阻塞：调用会一直等待）',
  'None (non-blocking: calls that would wait fail with EAGAIN)': 'None（非阻塞：需要等待的调用以 EAGAIN 失败）',
  'descriptors are free again: the connections that waited in the kernel queue are accepted': '文件描述符又有空闲了：在内核队列中等待的连接已被接受',
  'connection closed (both directions finished)': '连接已关闭（两个方向都已结束）',
  '0 bytes: the peer sent FIN (no more data will arrive)': '0 字节：对端发送了 FIN（不会再有数据到达）',
  '0 bytes: the peer shut down writing or closed (no more messages will arrive)': '0 字节：对端关闭了写方向或已关闭（不会再有消息到达）',
  // The contract's own sentences (shared/contract)
  'not a host name (letters, digits, inner hyphens and dots, e.g. localhost or example.com)': '不是主机名（字母、数字、中间的连字符和点，例如 localhost 或 example.com）',
  'not an IP address (expected e.g. 127.0.0.1 or ::1)': '不是 IP 地址（例如 127.0.0.1 或 ::1）',
  'not an IP address, host name or Unix socket path': '不是 IP 地址、主机名或 Unix 套接字路径',
  'not an IP address, host name or Unix socket path (expected e.g. 127.0.0.1, ::1, localhost, /tmp/x.sock or @name)': '不是 IP 地址、主机名或 Unix 套接字路径（例如 127.0.0.1、::1、localhost、/tmp/x.sock 或 @name）',
  'not an IP address (expected a multicast group, e.g. 239.1.2.3 or ff05::1:3)': '不是 IP 地址（应为组播组，例如 239.1.2.3 或 ff05::1:3）',
  'not a multicast address: a group is in 224.0.0.0/4 (IPv4) or ff00::/8 (IPv6)': '不是组播地址：组播组位于 224.0.0.0/4（IPv4）或 ff00::/8（IPv6）',
  'not an interface (expected an address like 127.0.0.1, a name like lo, or an index like 1)': '不是网络接口（应为地址如 127.0.0.1、名称如 lo，或索引如 1）',
  'give the interface in its own field, not as a %scope of the group': '请在单独的字段中填写接口，而不是作为组播组的 %scope',
  'an abstract Unix name needs at least one character after @': '抽象 Unix 名称在 @ 之后至少需要一个字符',
  'a Unix socket path cannot contain a NUL byte': 'Unix 套接字路径不能包含 NUL 字节',
  'expected host:port, e.g. 127.0.0.1:9000 or [::1]:9000': '应为 host:port，例如 127.0.0.1:9000 或 [::1]:9000',
  'data must be bytes (Uint8Array)': 'data 必须是字节（Uint8Array）',
  'data must be at most 16 MiB per call': '每次调用的 data 最多 16 MiB',
  'params must be an object': '参数必须是对象',
  'nothing to send': '没有要发送的内容',
  'a packet needs at least one layer': '数据包至少需要一层',
  'layers needs at least one layer line': 'layers 至少需要一行层描述',
  'layers must be a list of layer lines': 'layers 必须是层描述行的列表',
  'a tag must not be empty': '标签不能为空',
  'tags must be a list': 'tags 必须是列表',
  'the file is larger than 16 MB': '文件大于 16 MB',
  'the pattern is at most 16 bytes': '填充模式最多 16 字节',
  'dir is too long': 'dir 太长',
  'file must be a .yaml file name in the folder (no slashes, not hidden)': 'file 必须是该文件夹中的 .yaml 文件名（不含斜杠，非隐藏文件）',
  'option must be a name like SO_RCVBUF': 'option 必须是类似 SO_RCVBUF 的名称',
  'option data holds at most 65535 bytes': '选项数据最多 65535 字节',
  'a field holds at most 65535 bytes (a whole IP packet)': '一个字段最多 65535 字节（一个完整的 IP 数据包）',
  'a field value must be a number, text, bytes, or a list of names, numbers or options': '字段值必须是数字、文本、字节，或名称、数字、选项的列表',
  'value must be true/false, a number, text, {onoff, seconds} or bytes': 'value 必须是 true/false、数字、文本、{onoff, seconds} 或字节',
  'rev must be the 16 hex digits the list gave': 'rev 必须是列表给出的 16 位十六进制数',
  'protocol must be icmp, icmpv6 or 0..255': 'protocol 必须是 icmp、icmpv6 或 0..255',
  'interval must be ≥ 0 µs (0 = flood)': 'interval 必须 ≥ 0 µs（0 = 洪泛）',
  'interval must be at least 1 ms (or use flood)': 'interval 至少为 1 ms（或使用洪泛）',
  'size must be at most 65507 for IPv4 (65535 − 20-byte IP header − 8-byte ICMP header)': 'IPv4 下 size 最多 65507（65535 − 20 字节 IP 头 − 8 字节 ICMP 头）',
  'size must be between 0 and 65527 (65507 for IPv4)': 'size 必须在 0 到 65527 之间（IPv4 为 65507）',
  'ref must be 1 to 64 letters, digits, or _ . : -': 'ref 必须是 1 到 64 个字母、数字或 _ . : -',
  // Rules and scenarios (shared/contract/automation.ts)
  'rules must be a list of rules': 'rules 必须是规则的列表',
  'flags are some of i m s u, each once': 'flags 取自 i m s u，每个最多一次',
  'default must be true (a rule for what no other rule matched)': 'default 必须为 true（用于其他规则都未匹配的消息）',
  'delayMs must be a number of milliseconds': 'delayMs 必须是毫秒数',
  'at most 1000 rules': '最多 1000 条规则',
  'the sample is at most 1 MB': '样例最多 1 MB',
  'vars must be a mapping of names to values': 'vars 必须是名称到值的映射',
  'a variable name must be a name: a letter or _ then letters, digits, _ . - (at most 64)': '变量名必须以字母或 _ 开头，后接字母、数字、_ . -（最多 64 个字符）',
  'a value must be text, a number or true/false': '值必须是文本、数字或 true/false',
  'timeout must be a number of milliseconds': 'timeout 必须是毫秒数',
  'steps must be a list of steps': 'steps 必须是步骤的列表',
  'steps must hold at least one step': 'steps 至少要有一个步骤',
  'at most 10000 steps': '最多 10000 个步骤',
  'at most 1000 variables': '最多 1000 个变量',
  'this session cannot answer automatically': '此会话不能自动应答',
  'target must be an IPv4 or IPv6 address or a host name (e.g. 127.0.0.1, ::1, localhost)': 'target 必须是 IPv4 或 IPv6 地址或主机名（例如 127.0.0.1、::1、localhost）',
  // TLS options (shared/contract/tls.ts)
  'alpn must be a list of protocol names': 'alpn 必须是协议名称的列表',
  'an ALPN protocol name has no commas or spaces (e.g. h2, http/1.1)': 'ALPN 协议名称不含逗号或空格（例如 h2、http/1.1）',
  'alpn needs at least one protocol name (or leave it out)': 'alpn 至少需要一个协议名称（或不填）',
  'servername is a host name: SNI cannot carry an IP address (leave it empty to check the certificate against the address)': 'servername 是主机名：SNI 不能携带 IP 地址（留空则按地址检查证书）',
  'servername must be a host name such as example.com (letters, digits, - and _, dot-separated, at most 253 characters)': 'servername 必须是类似 example.com 的主机名（字母、数字、- 和 _，以点分隔，最多 253 个字符）',
};

/** A word of a limit ("at most 1 hour"), for the patterns below. */
const ZH_AMOUNTS: Record<string, string> = { '1 hour': '1 小时', 'a day': '1 天' };
const amount = (s: string): string => ZH_AMOUNTS[s] ?? s;

/** Patterns: the first that matches the whole message wins; $1… are the captured parts. */
export const ZH_PATTERNS: readonly [RegExp, (...m: string[]) => string][] = [
  // The workspace's files (main/workspace)
  [/^not UTF-8 text: byte (0x[0-9a-f]{2}) at line (\d+), column (\d+) \(save the file as UTF-8\)$/, (b, l, c) => `不是 UTF-8 文本：第 ${l} 行第 ${c} 列的字节 ${b}（请把文件存为 UTF-8）`],
  [/^not valid YAML: ([\s\S]+)$/, (why) => `不是有效的 YAML：${why}`],
  [/^"(.*)" is also the name of (.+); names must be unique \(rename one\)$/, (n, other) => `“${n}”也是 ${other} 的名称；名称必须唯一（请改掉其中一个）`],
  [/^a (packet|rule set|scenario) named "(.*)" already exists \((.+)\)$/, (kind, n, file) => `已有名为“${n}”的${({ packet: '数据包', 'rule set': '规则集', scenario: '场景' } as Record<string, string>)[kind]}（${file}）`],
  // The packet crafter's fields (shared/packet: values, options, syntax, build)
  [/^(.+?) must be 0\.\.(\d+), got (.+)$/, (f, max, got) => `${f} 必须在 0..${max} 之间，得到的是 ${got}`],
  [/^(\w+): unknown name "(.*)" \(known: (.+), or a number\)$/, (f, n, list) => `${f}：未知的名称“${n}”（可用：${list}，或填数字）`],
  [/^(\w+): unknown name "(.*)" \(no names here: give a number\)$/, (f, n) => `${f}：未知的名称“${n}”（这里没有名称：请填数字）`],
  [/^(\w+): unknown flag "(.*)" \(known: (.+)\)$/, (f, x, list) => `${f}：未知的标志“${x}”（可用：${list}）`],
  [/^(\w+) needs IP addresses for its checksum: put an IP layer before it, give the context \{ src, dst \}, or set (\w+)$/,
    (k, field) => `${k} 计算校验和需要 IP 地址：请在它前面放一个 IP 层、提供上下文 { src, dst }，或直接设置 ${field}`],
  [/^(\w+) would be (\S+), more than its (\d+) bits hold \((\d+)\)$/, (f, v, bits, max) => `${f} 将是 ${v}，超出了它的 ${bits} 位所能容纳的值（${max}）`],
  [/^(\w+) must be an IPv(4|6) address, got (.+)$/, (f, fam, got) => `${f} 必须是 IPv${fam} 地址，得到的是 ${got}`],
  [/^(\w+) must be a list of IPv6 addresses$/, (f) => `${f} 必须是 IPv6 地址的列表`],
  [/^(\w+) must be bytes: (.+)$/, (f, how) => `${f} 必须是字节：${how.replace(/, or a list of 0\.\.255$/, '，或 0..255 的列表').replace(/, text/, '、文本')}`],
  [/^(\w+) is not a field of (\w+) type (\S+) \(fields: (.*)\)$/, (f, k, t, list) => `${f} 不是 ${k} 类型 ${t} 的字段（字段有：${list}）`],
  [/^unknown field (\w+) of (\w+) \(fields: (.*)\)$/, (f, k, list) => `${k} 没有字段 ${f}（字段有：${list}）`],
  [/^(\w+): "(.*)" is not hex bytes \(pairs of 0-9 a-f, e\.g\. hex:41414141\)$/, (w, t) => `${w}：“${t}”不是十六进制字节（0-9 a-f 两位一组，例如 hex:41414141）`],
  [/^empty option in the list \(items are separated by single commas\)$/, () => '列表中有空的选项（各项之间用单个逗号分隔）'],
  [/^unknown option "(.*)" \(known: (.+), or a number 0\.\.255 with :HEX data\)$/, (o, list) => `未知的选项“${o}”（可用：${list}，或 0..255 的数字加 :HEX 数据）`],
  [/^(\w+) takes no value, got "(.*)"$/, (k, v) => `${k} 不带值，得到的是“${v}”`],
  [/^(\w+) needs one value, e\.g\. (\S+)$/, (k, eg) => `${k} 需要一个值，例如 ${eg}`],
  [/^Timestamp needs TSVAL\[:TSECR\], e\.g\. Timestamp:1:0$/, () => 'Timestamp 需要 TSVAL[:TSECR]，例如 Timestamp:1:0'],
  [/^SAck blocks are LEFT-RIGHT, e\.g\. SAck:1000-2000:3000-4000, got "(.*)"$/, (b) => `SAck 的块写作 LEFT-RIGHT，例如 SAck:1000-2000:3000-4000，得到的是“${b}”`],
  [/^(\w+) needs a link-layer address, e\.g\. (\S+)$/, (k, eg) => `${k} 需要链路层地址，例如 ${eg}`],
  [/^(\w+) needs lladdr like (\S+), got (.*)$/, (k, eg, got) => `${k} 需要形如 ${eg} 的 lladdr，得到的是 ${got}`],
  [/^SAck holds at most 4 blocks, got (\d+)$/, (n) => `SAck 最多容纳 4 个块，得到 ${n} 个`],
  [/^unknown (\S+) option (\S+) \(known: (.+), raw, or a number 0\.\.255\)$/, (w, k, list) => `未知的 ${w} 选项 ${k}（可用：${list}、raw，或 0..255 的数字）`],
  [/^(\S+) option (\S+) cannot carry (\d+) data bytes$/, (w, k, n) => `${w} 选项 ${k} 不能携带 ${n} 个数据字节`],
  [/^(\S+) options take (\d+) bytes, at most (\d+)$/, (w, n, max) => `${w} 选项占 ${n} 字节，最多 ${max} 字节`],
  [/^options must be a list, got (\w+)$/, (t) => `options 必须是列表，得到的是 ${t}`],
  [/^routing data must be 4, 12, 20… bytes \(header a multiple of 8\), header is (\d+)$/, (n) => `routing data 必须是 4、12、20… 字节（首部长度为 8 的倍数），现在首部为 ${n}`],
  [/^layer (\d+) \((\w+)\), column (\d+): ([\s\S]+)$/, (n, k, col, why) => `第 ${n} 层（${k}），第 ${col} 列：${zh(why)}`],
  [/^unknown field "(.*)" \(did you mean (\w+)\?\); fields: (.*)$/, (f, mean, list) => `未知的字段“${f}”（是不是 ${mean}？）；字段有：${list}`],
  [/^unknown field "(.*)"; fields: (.*)$/, (f, list) => `未知的字段“${f}”；字段有：${list}`],
  // Scenario and rule files (shared/contract/automation.ts, main/automation/scenario-file.ts)
  [/^unknown step "(.*)"; steps are (.+)$/, (w, kinds) => `未知的步骤“${w}”；可用的步骤有 ${kinds}`],
  [/^step "(.*)" needs a value \((.+)\)$/, (w, eg) => `步骤“${w}”需要一个值（${eg}）`],
  [/^a step must be a mapping such as "(.*)" \(steps: (.+)\)$/, (eg, kinds) => `步骤必须是映射，例如“${eg}”（步骤：${kinds}）`],
  [/^unknown key "(.*)" in (.+?); it takes (.+)$/, (k, where, keys) => `${zhWhere(where)}中有未知的键“${k}”；可用的键有 ${keys}`],
  [/^([^:]+?) must be a mapping of keys \((.+)\)$/, (where, keys) => `${zhWhere(where)}必须是由键组成的映射（${keys}）`],
  [/^unknown protocol "(.*)"; one of (.+)$/, (p, list) => `未知的协议“${p}”；可选 ${list}`],
  [/^expect needs a matcher: one of (.+)$/, (list) => `expect 需要一个匹配方式：${list} 之一`],
  [/^expect has one matcher; this one has (\S+) and (\S+) \(make them two expects\)$/, (a, b) => `expect 只能有一个匹配方式；这里有 ${a} 和 ${b}（请拆成两个 expect）`],
  [/^assert needs one check: (.+)$/, (list) => `assert 需要一项检查：${list}`],
  [/^assert checks one thing; this one has (.+)$/, (list) => `assert 只检查一项；这里有 ${list.replace(/ and /g, ' 和 ')}`],
  [/^variable (\$\{.*\}) is never set before this step \(set it in vars:, with --var (.+)=…, by an expect's capture, or with a set step\)$/,
    (v, name) => `变量 ${v} 在此步骤之前从未设置（可在 vars: 中设置、用 --var ${name}=… 传入、由 expect 的 capture 捕获，或用 set 步骤设置）`],
  [/^(\$\{.*\}) is not a variable name \(a letter or _ then letters, digits, _ \. -\)$/, (v) => `${v} 不是变量名（以字母或 _ 开头，后接字母、数字、_ . -）`],
  [/^no connection is named "(.*)" before this step( \(name one with as: on connect, listen or accept\))?$/,
    (n, hint) => `此步骤之前没有名为“${n}”的连接${hint ? '（可在 connect、listen 或 accept 上用 as: 命名）' : ''}`],
  [/^tls options go with connect: tls HOST:PORT$/, () => 'tls 选项要和 connect: tls HOST:PORT 一起使用'],
  [/^no saved packet is named "(.*)" \(sockbench packets list shows them\)$/, (n) => `没有名为“${n}”的已保存数据包（sockbench packets list 会列出它们）`],
  [/^a rule needs a matcher: one of (.+), or default: true$/, (list) => `规则需要一个匹配方式：${list} 之一，或 default: true`],
  [/^a rule needs a reply, close: true, or both$/, () => '规则需要 reply、close: true，或两者都有'],
  [/^unknown placeholder (\{\{.*\}\}); known: (.+) and \$0\.\.\$9$/, (p, known) => `未知的占位符 ${p}；可用的有 ${known} 以及 $0..$9`],
  [/^cannot read: (\S+)$/, (code) => `无法读取：${code}`],
  // A saved packet's target that is a name (main/workspace/send.ts); the getaddrinfo code stays.
  [/^cannot resolve (\S+): (\S+)$/, (host, code) => `无法解析 ${host}：${code}`],
  // The scenario runner (main/automation/runner.ts): a failed step, and the run's summary line
  [/^(.+):(\d+):(\d+): step ([\d.]+) \(([\w-]+)\): ([\s\S]+)$/, (file, line, col, index, kind, why) => `${file}:${line}:${col}：第 ${index} 步（${kind}）：${zh(why)}`],
  [/^(.+): step ([\d.]+) \(([\w-]+)\): ([\s\S]+)$/, (file, index, kind, why) => `${file}：第 ${index} 步（${kind}）：${zh(why)}`],
  [/^(.+): stopped before the end$/, (file) => `${file}：在结束之前停止`],
  [/^no connection is named "(.*)"$/, (n) => `没有名为“${n}”的连接`],
  [/^(.+) needs a connection: connect, listen or accept first$/, (what) => `${what} 需要一个连接：请先 connect、listen 或 accept`],
  [/^variable (\$\{.*\}) is not set$/, (v) => `变量 ${v} 未设置`],
  [/^send: cannot read (.+): (\S+)$/, (path, code) => `send：无法读取 ${path}：${code}`],
  [/^starttls upgrades a connection; "(.*)" is a (\w+)$/, (n, role) => `starttls 用于升级连接；“${n}”是${ROLE_ZH[role] ?? role}`],
  [/^starttls failed: ([\s\S]+)$/, (why) => `starttls 失败：${zh(why)}`],
  [/^expected PROTOCOL ADDRESS, got "(.*)"$/, (got) => `应为 PROTOCOL ADDRESS，实际为“${got}”`],
  [/^connect needs a port between 1 and 65535 \((.*)\)$/, (a) => `connect 需要 1 到 65535 之间的端口（${a}）`],
  [/^connect to (.+) failed: ([\s\S]+)$/, (to, why) => `连接 ${to} 失败：${zh(why)}`],
  [/^listen on (.+) failed: ([\s\S]+)$/, (at, why) => `在 ${at} 上监听失败：${zh(why)}`],
  [/^accept needs a listener; "(.*)" is a datagram socket \(it has no connections: expect reads its datagrams\)$/, (n) => `accept 需要监听器；“${n}”是数据报套接字（它没有连接：用 expect 读取它的数据报）`],
  [/^accept needs a listener; "(.*)" is a connection$/, (n) => `accept 需要监听器；“${n}”是一个连接`],
  [/^no connection arrived within (\d+) ms$/, (ms) => `${ms} ms 内没有连接到达`],
  [/^the TLS handshake of the accepted connection did not finish within (\d+) ms$/, (ms) => `已接受连接的 TLS 握手在 ${ms} ms 内没有完成`],
  [/^the accepted connection's TLS handshake failed: ([\s\S]+)$/, (why) => `已接受连接的 TLS 握手失败：${zh(why)}`],
  [/^no saved packet is named "(.*)"$/, (n) => `没有名为“${n}”的已保存数据包`],
  [/^sending "(.*)" failed: ([\s\S]+)$/, (n, why) => `发送“${n}”失败：${zh(why)}`],
  [/^"(.*)" is a listener: accept a connection first$/, (n) => `“${n}”是监听器：请先 accept 一个连接`],
  [/^"(.*)" is not connected: say where the datagram goes with to: \(e\.g\. to: "\$\{from\}"\)$/, (n) => `“${n}”未连接：请用 to: 指定数据报发往哪里（例如 to: "\${from}"）`],
  [/^send failed: ([\s\S]+)$/, (why) => `send 失败：${zh(why)}`],
  [/^no datagram arrived within (\d+) ms \(waiting for (.+)\)$/, (ms, what) => `${ms} ms 内没有数据报到达（等待${zhWhat(what)}）`],
  [/^(.+) before a datagram arrived \(waiting for (.+)\)$/, (ended, what) => `在数据报到达之前${zhEnded(ended)}（等待${zhWhat(what)}）`],
  [/^the datagram does not match: (.+)$/, (what) => `数据报不匹配：${zhWhat(what)}`],
  [/^received bytes differ from (.+)$/, (what) => `收到的字节与${zhWhat(what)}不同`],
  [/^timed out after (\d+) ms waiting for (.+); (\d+) bytes arrived unread$/, (ms, what, n) => `等待${zhWhat(what)}超时（${ms} ms）；有 ${n} 字节到达但未被读取`],
  [/^(the connection failed \(.*\)|the connection was closed by this scenario|the peer closed the connection) before (.+) arrived; (\d+) bytes arrived unread$/,
    (ended, what, n) => `在${zhWhat(what)}到达之前${zhEnded(ended)}；有 ${n} 字节到达但未被读取`],
  [/^regex does not compile: ([\s\S]+)$/, (why) => `正则表达式无法编译：${why}`],
  [/^this scenario closed the connection itself$/, () => '本场景自己关闭了连接'],
  [/^the peer did not close within (\d+) ms$/, (ms) => `对端在 ${ms} ms 内没有关闭连接`],
  [/^the connection failed instead of closing: ([\s\S]+)$/, (why) => `连接出错而不是关闭：${zh(why)}`],
  [/^expected (\S+), but nothing was connected or sent before this step$/, (want) => `预期 ${want}，但此步骤之前没有 connect 或 send`],
  [/^expected (\S+), but the last connect or send succeeded$/, (want) => `预期 ${want}，但上一次 connect 或 send 成功了`],
  [/^expected (\S+), but the last (\S+) failed with (\S+): ([\s\S]+)$/, (want, call, got, why) => `预期 ${want}，但上一次 ${call} 失败，错误为 ${got}：${zh(why)}`],
  [/^expected silence for (\d+) ms, but (\d+) bytes arrived$/, (ms, n) => `预期 ${ms} ms 内没有数据，但到达了 ${n} 字节`],
  [/^(\w+): "(.*)" is not a number$/, (op, v) => `${op}：“${v}”不是数字`],
  [/^assert (\w+) failed: "(.*)" (is not|is|does not contain|does not match|is not less than|is not greater than) "(.*)"$/,
    (op, x, words, y) => `assert ${op} 失败：“${x}”${ASSERT_ZH[words] ?? words}“${y}”`],
  [/^(.+) must be a number$/, (f) => `${f} 必须是数字`],
  [/^(.+) must be (?:a whole number|an integer)$/, (f) => `${f} 必须是整数`],
  [/^(.+) must be (?:between|from) (\S+) (?:and|to) (\S+)$/, (f, a, b) => `${f} 必须在 ${a} 到 ${b} 之间`],
  [/^(.+) must be text$/, (f) => `${f} 必须是文本`],
  [/^(.+) must be a string$/, (f) => `${f} 必须是字符串`],
  [/^(.+) must be true or false$/, (f) => `${f} 必须是 true 或 false`],
  [/^(.+) must be one of (.+)$/, (f, list) => `${f} 必须是以下之一：${list}`],
  [/^(.+) must not be empty$/, (f) => `${f} 不能为空`],
  [/^(.+) must not be empty \(leave it out instead\)$/, (f) => `${f} 不能为空（不需要时不填）`],
  [/^(.+) must be a file path$/, (f) => `${f} 必须是文件路径`],
  [/^(.+) must not contain control characters$/, (f) => `${f} 不能包含控制字符`],
  [/^(.+) is at most (\d+) characters$/, (f, n) => `${f} 最多 ${n} 个字符`],
  [/^(.+) must be at most (\d+) bytes$/, (f, n) => `${f} 最多 ${n} 字节`],
  [/^(.+) must be at most (.+)$/, (f, a) => `${f} 最多为 ${amount(a)}`],
  [/^(.+) must be at least (.+)$/, (f, a) => `${f} 至少为 ${amount(a)}`],
  [/^(.+) must be (.+) or more$/, (f, a) => `${f} 必须 ≥ ${a}`],
  // A quoted name or value alone (the detail of a getaddrinfo failure).
  [/^"([^"]+)"$/, (q) => `“${q}”`],
  [/^(.+) must be ≥ (.+)$/, (f, a) => `${f} 必须 ≥ ${a}`],
  [/^(.+) is required$/, (f) => `缺少 ${f}`],
  [/^at most (\d+) (packets|tags|variable fields)$/, (n, what) => `最多 ${n} 个${({ packets: '数据包', tags: '标签', 'variable fields': '可变字段' } as Record<string, string>)[what]}`],
  [/^at most (\d+) layers a packet$/, (n) => `每个数据包最多 ${n} 层`],
  [/^at most (\d+) fields a layer$/, (n) => `每层最多 ${n} 个字段`],
  // Enumerations: "family must be AF_INET, AF_INET6 or AF_UNIX", "mode must be icmp or udp"
  [/^(.+?) must be ([\w./-]+(?:, [\w./-]+)*) or ([\w./-]+)$/, (f, a, b) => `${f} 必须是 ${a.split(', ').join('、')} 或 ${b}`],
  [/^a Unix socket path is at most (\d+) bytes; this one has (\d+)$/, (max, n) => `Unix 套接字路径最多 ${max} 字节；此路径有 ${n} 字节`],
  [/^(.+) needs a socket path \(\/tmp\/x\.sock\) or an abstract name \(@name\)$/, (p) => `${p} 需要套接字路径（/tmp/x.sock）或抽象名称（@name）`],
  [/^"(.+)" is not an IPv4 or IPv6 address( or a host name)?$/, (a, h) => `“${a}”不是 IPv4 或 IPv6 地址${h ? '，也不是主机名' : ''}`],
  [/^port must be between 0 and 65535$/, () => 'port 必须在 0 到 65535 之间'],
  // The composer's codecs (shared/codec): hex, text with escapes, base64, encodings
  [/^(.+) at position (\d+)$/, (what, n) => `${zhMessage(what) ?? what}（第 ${n} 个字符）`],
  [/^"(.+)" is not a hex digit$/, (c) => `“${c}”不是十六进制数字`],
  [/^"0x" without hex digits$/, () => '"0x" 后面没有十六进制数字'],
  [/^odd number of hex digits in "(.*)" \(the last byte needs two digits\)$/, (d) => `“${d}”中的十六进制数字个数为奇数（最后一个字节需要两位）`],
  [/^incomplete escape "\\" \(nothing after the backslash\)$/, () => '不完整的转义 "\\"（反斜杠后面没有内容）'],
  [/^incomplete escape "(.*)" \(\\x needs two hex digits\)$/, (e) => `不完整的转义“${e}”（\\x 需要两位十六进制数字）`],
  [/^unknown escape "(.*)" \(known: (.+)\)$/, (e, known) => `未知的转义“${e}”（已知：${known}）`],
  [/^"(.+)" is not a base64 character$/, (c) => `“${c}”不是 base64 字符`],
  [/^"=" padding before the end of the base64 text$/, () => 'base64 文本结束之前出现了 "=" 填充'],
  [/^base64 text ends with a lone character \(length must not be 4n\+1\)$/, () => 'base64 文本以单个字符结尾（长度不能是 4n+1）'],
  [/^wrong amount of "=" padding$/, () => '"=" 填充的数量不对'],
  [/^(?:"(.+)"|a lone surrogate) \((U\+[0-9A-F]+)\) cannot be encoded in (.+)$/, (ch, cp, enc) => `${ch ? `“${ch}”` : '孤立的代理项'}（${cp}）无法用 ${enc} 编码`],
  [/^the text cannot be encoded in (.+)$/, (enc) => `该文本无法用 ${enc} 编码`],
  // Sweep targets (shared/net/targets.ts)
  [/^no targets: give IP addresses or CIDR blocks, e\.g\. (.+)$/, (eg) => `没有目标：请填写 IP 地址或 CIDR 地址块，例如 ${eg}`],
  [/^"(.+)" is not an IPv4 or IPv6 address or CIDR block$/, (e) => `“${e}”不是 IPv4 或 IPv6 地址，也不是 CIDR 地址块`],
  [/^"(.+)": the prefix length must be 0\.\.(\d+)$/, (e, n) => `“${e}”：前缀长度必须在 0..${n} 之间`],
  [/^(\S+) would be (\S+) addresses; the limit is (\S+)$/, (b, n, max) => `${b} 将是 ${n} 个地址；上限为 ${max}`],
  [/^(\S+) would be (\S+) more addresses, (\S+) already listed; the limit is (\S+)$/, (b, n, had, max) => `${b} 将再增加 ${n} 个地址（已列出 ${had} 个）；上限为 ${max}`],
  [/^(\S+)\+ addresses; the limit is (\S+)$/, (n, max) => `${n}+ 个地址；上限为 ${max}`],
  [/^(\d+) bytes$/, (n) => `${n} 字节`],
  [/^(\d+) bytes → (.+)$/, (n, to) => `${n} 字节 → ${to}`],
  [/^None \(calls wait at most (.+) s\)$/, (s) => `None（调用最多等待 ${s} s）`],
  [/^listening on (.+), backlog (\d+)$/, (at, n) => `在 ${at} 上监听，backlog ${n}`],
  [/^(.+) ← (.+) \(from listener #(\d+)\)$/, (l, p, id) => `${l} ← ${p}（来自监听器 #${id}）`],
  [/^default peer (.+) port (\d+)$/, (a, p) => `默认对端 ${a} 端口 ${p}`],
  [/^(\d+) datagrams in ([\d.]+) s \((\d+)\/s\)(, stopped)?$/, (n, sec, rate, stopped) => `${sec} s 内 ${n} 个数据报（${rate}/s）${stopped ? '，已停止' : ''}`],
  [/^(\d+) bytes arrived after shutdown\(SHUT_RD\): Linux still queues and delivers them, so they are read and counted like any other$/,
    (n) => `shutdown(SHUT_RD) 之后又到达 ${n} 字节：Linux 仍会排队并交付它们，因此它们像其他数据一样被读取和计数`],
  [/^created in the socket worker \(pid (.+)\); its descriptor lives there, so fileno\(\) has none here$/,
    (pid) => `在套接字工作进程中创建（pid ${pid}）；其描述符在那个进程里，所以这里的 fileno() 没有值`],
  [/^(.+) → (.+); using (.+)$/, (host, offered, used) => `${host} → ${offered}；使用 ${used}`],
  [/^the raw-socket helper is running \(pid (\d+)(, elevated)?\)$/, (pid, el) => `原始套接字辅助进程正在运行（pid ${pid}${el ? '，已提权' : ''}）`],
  [/^The raw-socket helper runs without CAP_NET_RAW: the kernel refused it a raw socket \((\w+)\)\. ICMP \(ping, traceroute\) is off; TCP, UDP and Unix sockets work as usual\.$/,
    (code) => `原始套接字辅助进程没有 CAP_NET_RAW：内核拒绝为它创建原始套接字（${code}）。ICMP（ping、traceroute）不可用；TCP、UDP 和 Unix 套接字照常工作。`],
  [/^(.+), so ICMP \(ping, traceroute\) stays off\. TCP, UDP and Unix sockets work as usual\.$/, (why) => `${why}，因此 ICMP（ping、traceroute）保持关闭。TCP、UDP 和 Unix 套接字照常工作。`],
  [/^the raw-socket helper has not been started$/, () => '原始套接字辅助进程尚未启动'],
  [/^the raw-socket helper was stopped; its raw sockets were closed$/, () => '原始套接字辅助进程已停止；它的原始套接字已关闭'],
  [/^the raw-socket helper died \((.+)\); its raw sockets were lost$/, (how) => `原始套接字辅助进程意外退出（${how.replace(/^exit code (\d+)/, '退出码 $1')}）；它的原始套接字已丢失`],
  [/^the raw-socket helper could not be started \((\d+) attempts; last: (.+)\)$/, (n, last) => `原始套接字辅助进程无法启动（尝试了 ${n} 次；最后一次：${last}）`],
  [/^restarting the raw-socket helper \((.+)\)$/, (why) => `正在重启原始套接字辅助进程（${why}）`],
  [/^the raw-socket helper could not be started(.*)$/, (rest) => `原始套接字辅助进程无法启动${rest}`],
  [/^the elevated raw-socket helper did not start(.*)$/, (rest) => `提权的原始套接字辅助进程未能启动${rest}`],
  [/^no address is known for "(.+)" \(not in \/etc\/hosts, and DNS does not know it\): check the spelling, or give an IP address$/,
    (h) => `没有“${h}”的地址（/etc/hosts 中没有，DNS 也不认识）：请检查拼写，或直接填写 IP 地址`],
  [/^"(.+)" has no (AF_INET6?) address \(it resolves to (.+)\): create an (AF_INET6?) socket, or give an address$/,
    (h, fam, to, other) => `“${h}”没有 ${fam} 地址（它解析为 ${to}）：请创建 ${other} 套接字，或直接填写地址`],
  [/^(.+) is a host name but the socket is AF_UNIX: give a path like \/tmp\/x\.sock or @name$/, (h) => `${h} 是主机名，但套接字是 AF_UNIX：请填写路径，如 /tmp/x.sock 或 @name`],
  [/^(.+) is (an IPv4 address|an IPv6 address|a Unix socket path) but the socket is (\S+): give (.+)$/, (a, kind, fam, want) => {
    const k: Record<string, string> = { 'an IPv4 address': 'IPv4 地址', 'an IPv6 address': 'IPv6 地址', 'a Unix socket path': 'Unix 套接字路径', 'a path like /tmp/x.sock or @name': '路径，如 /tmp/x.sock 或 @name' };
    return `${a} 是${k[kind]}，但套接字是 ${fam}：请填写${k[want] ?? want}`;
  }],
];

/** "a connect step", "a rule", "a scenario", "tls": where an unknown key was. */
function zhWhere(where: string): string {
  const step = /^an? ([\w-]+) step$/.exec(where);
  if (step) return `${step[1]} 步骤`;
  const known: Record<string, string> = { 'a rule': '规则', 'a rule set': '规则集', 'a scenario': '场景' };
  return known[where] ?? `${where} `;
}
/** The runner's roles, ways a connection ended, and what an expect waited for. */
const ROLE_ZH: Record<string, string> = { listener: '监听器', datagram: '数据报套接字', stream: '流连接' };
const ASSERT_ZH: Record<string, string> = {
  'is not': '不等于', is: '等于', 'does not contain': '不包含', 'does not match': '不匹配', 'is not less than': '不小于', 'is not greater than': '不大于',
};
const zh = (text: string): string => zhMessage(text) ?? text;
function zhEnded(text: string): string {
  if (text === 'the connection was closed by this scenario') return '，连接已被本场景关闭';
  if (text === 'the peer closed the connection') return '，对端关闭了连接';
  const failed = /^the connection failed \((.*)\)$/.exec(text);
  return failed ? `，连接出错（${zh(failed[1]!)}）` : text;
}
function zhWhat(what: string): string {
  const n = /^(\d+) bytes$/.exec(what);
  if (n) return ` ${n[1]} 字节`;
  const has = /^bytes containing (".*")$/.exec(what);
  if (has) return `包含 ${has[1]} 的字节`;
  return ` ${what} `;
}

/** Prefixes a message is built of: "call: ERRNO (n): why", "address \"x\": why". */
const PARTS: readonly [RegExp, (head: string, rest: string) => string][] = [
  [/^([\w.()]+: E[A-Z0-9_]+ \(-?\d+\)): ([\s\S]+)$/, (head, rest) => `${head}：${rest}`],
  [/^(E[A-Z0-9_]+ \(-?\d+\)): ([\s\S]+)$/, (head, rest) => `${head}：${rest}`],
  [/^(getaddrinfo: EAI_[A-Z]+ \(-?\d+\)): ([\s\S]+)$/, (head, rest) => `${head}：${rest}`],
  [/^address ("[^"]*"): ([\s\S]+)$/, (head, rest) => `地址 ${head}：${rest}`],
  // A field in a scenario or rule file: steps[2].expect.regex: why
  [/^([\w-]+(?:\[\d+\]|\.[\w-]+)+): ([\s\S]+)$/, (head, rest) => `${head}：${rest}`],
  [/^([\w.]+): ([\s\S]+)$/, (head, rest) => `${head}：${rest}`],
];

/** The zh-CN text of one message, or null when the table has none. */
export function zhMessage(text: string): string | null {
  const whole = ZH_SENTENCES[text] ?? patternOnly(text);
  if (whole !== null) return whole;
  for (const [re, join] of PARTS) {
    const m = re.exec(text);
    if (!m) continue;
    const rest = zhMessage(m[2]!) ?? zhJoined(m[2]!);
    if (rest !== null) return join(m[1]!, rest);
  }
  return zhJoined(text);
}

/** "A: B…" where A is a known sentence or pattern and the rest translates too (an explanation with its detail). */
function zhJoined(text: string): string | null {
  const parts = text.split(': ');
  for (let i = 1; i < parts.length; i++) {
    const head = parts.slice(0, i).join(': ');
    const left = ZH_SENTENCES[head] ?? patternOnly(head);
    if (left === null) continue;
    const right = zhMessage(parts.slice(i).join(': '));
    if (right !== null) return `${left}：${right}`;
  }
  return null;
}

function patternOnly(text: string): string | null {
  for (const [re, fn] of ZH_PATTERNS) {
    const m = re.exec(text);
    if (m) return fn(...m.slice(1));
  }
  return null;
}

/** A message from main or shared/ in the page's language (as it came when the table has no entry). */
export function translateMessage(text: string, locale: Locale): string {
  if (locale !== 'zh-CN' || text === '') return text;
  return zhMessage(text) ?? text;
}
