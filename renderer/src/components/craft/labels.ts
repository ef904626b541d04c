// Field and layer names from the codecs (shared/packet) are English;
// in Simplified Chinese the view shows these, with the codec's field name
// (ttl, seq …) beside them as in English. Help texts stay English.
const ZH: Readonly<Record<string, string>> = {
  'IPv4': 'IPv4', 'IPv6': 'IPv6', 'ICMP': 'ICMP', 'ICMPv6': 'ICMPv6', 'TCP': 'TCP', 'UDP': 'UDP',
  'Hop-by-hop options': '逐跳选项', 'Routing header': '路由头', 'Fragment header': '分片头', 'Destination options': '目的选项', 'Payload': '载荷',
  'Version': '版本', 'Header length': '首部长度', 'DSCP': 'DSCP', 'ECN': 'ECN', 'Total length': '总长度', 'Identification': '标识',
  'Flags': '标志', 'Fragment offset': '片偏移', 'Time to live': '生存时间', 'Protocol': '协议', 'Header checksum': '首部校验和',
  'Source': '源地址', 'Destination': '目的地址', 'Options': '选项', 'Traffic class': '流量类别', 'Flow label': '流标签',
  'Payload length': '载荷长度', 'Next header': '下一个头', 'Hop limit': '跳数限制', 'Routing type': '路由类型', 'Segments left': '剩余段数',
  'Reserved': '保留', 'Addresses': '地址列表', 'Type-specific data': '类型相关数据', 'More fragments': '更多分片', 'Type': '类型', 'Code': '代码',
  'Checksum': '校验和', 'Identifier': '标识符', 'Sequence number': '序号', 'Originate timestamp': '发起时间戳', 'Receive timestamp': '接收时间戳',
  'Transmit timestamp': '发送时间戳', 'Address mask': '地址掩码', 'Gateway': '网关', 'Pointer': '指针', 'Unused': '未用', 'Next-hop MTU': '下一跳 MTU',
  'MTU': 'MTU', 'Router': '路由器', 'Solicited': '请求响应', 'Override': '覆盖', 'Target address': '目标地址', 'Source port': '源端口',
  'Destination port': '目的端口', 'Acknowledgment': '确认号', 'Data offset': '数据偏移', 'Window': '窗口', 'Urgent pointer': '紧急指针',
  'Length': '长度', 'Data': '数据',
};

/** A codec label in the view's language. */
export const codecLabel = (label: string, locale: string): string => (locale === 'zh-CN' ? (ZH[label] ?? label) : label);
