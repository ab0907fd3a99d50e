// The console's words in English and Simplified Chinese.  An element with
// data-i18n="name" shows strings[lang][name]; t(name) is for scripts.

export const strings = {
  en: {
    dashboard: 'Dashboard', accounts: 'Accounts', keys: 'API keys',
    keyPage: 'Key usage page', logout: 'Log out', login: 'Log in',
    username: 'User name', password: 'Password',
    ldapHint: 'Directory (LDAP) users log in with their directory name ' +
              'and password.',
    badLogin: 'Wrong user name or password.',
    expiredSession: 'Your session ended; log in again.',
    adminsOnly: 'Only admins see this page.',
    costByDay: 'Cost by day', topModels: 'Top models', topKeys: 'Top keys',
    accountStates: 'Accounts by state', name: 'Name', type: 'Type',
    health: 'Health', circuit: 'Circuit', cooldown: 'Cooling down until',
    actions: 'Actions', test: 'Test', reset: 'Reset',
    coolingDown: 'cooling down', circuitOpen: 'circuit open',
    error: 'error', newKey: "New key's name", create: 'Create',
    shownOnce: 'The key, shown this once:', copy: 'Copy', copied: 'Copied.',
    copyBySelect: 'Select the key and copy it.', prefix: 'Key',
    disable: 'Disable', enable: 'Enable', delete: 'Delete',
    confirmDelete: 'Delete this key? Clients using it stop working.',
    testOk: 'answered', testFail: 'failed',
    usage: 'Usage', audit: 'Audit log', from: 'From', to: 'To',
    filter: 'Filter', csv: 'Export CSV', records: 'records',
    actor: 'Who', action: 'Action', resource: 'Resource',
    address: 'Address', users: 'Users', role: 'Role', source: 'Source',
    newUser: 'New user', newAccount: 'New account', baseUrl: 'Base URL',
    priority: 'Priority', onboard: 'Add a subscription account (OAuth)',
    provider: 'Provider', start: 'Start', code: 'Code',
    openThis: 'Open this address, approve, then paste the code:',
    finish: 'Add the account', made: 'Created', rotate: 'Rotate',
    billing: 'Plans and bills', plans: 'Plans', subscriptions:
    'Subscriptions', bills: 'Bills', period: 'Period', quota: 'Quota',
    price: 'Price', user: 'User', plan: 'Plan', closed: 'Closed',
    yes: 'yes', no: 'no', edit: 'Edit', save: 'Save', cancel: 'Cancel',
    dailyLimit: 'Daily cost limit ($, 0: none)',
    weeklyLimit: 'Weekly cost limit ($)', totalLimit: 'Total cost limit ($)',
    concurrencyLimit: 'Requests at once (0: no limit)',
    blockedModels: 'Blocked models (one per line)',
    allowedClients: 'Allowed clients (User-Agent patterns, one per line)',
    boundTo: 'Bound to account', anyAccount: 'any account', saved: 'Saved.',
    windows: 'Usage windows', refresh: 'Refresh', groups: 'Account groups',
    pool: 'Pool', members: 'Accounts', createGroup: 'Create group',
    group: 'Group', noGroup: 'none', leases: 'In flight',
    backlog: 'Usage records waiting', topAccounts: 'Top accounts',
    schedulable: 'Takes new requests',
    newCredential: 'New credential (empty: keep the stored one)',
    createPlan: 'Create plan', subscribe: 'Subscribe',
    title: 'API key usage', language: 'Language',
    keyLabel: 'Your API key', show: 'Show usage',
    hint: 'The key is sent only to this server, to read its own usage. ' +
          'Nothing about other keys is shown.',
    status: 'Status', expires: 'Expires', never: 'never',
    permissions: 'Platforms', spending: 'Spending',
    requests: 'Requests', tokens: 'Tokens', cost: 'Cost',
    limit: 'Limit', remaining: 'Remaining', none: 'none',
    today: 'Today (UTC)', week: 'This week', total: 'In all',
    recent: 'Recent requests', time: 'Time', model: 'Model',
    input: 'Input', output: 'Output', noRequests: 'No requests yet.',
    active: 'active', disabled: 'disabled', expired: 'expired',
    badKey: 'That is not an API key: it starts with cr_ and has 64 ' +
            'more characters.',
    unknownKey: 'This key is not known here.',
    tooMany: 'Too many unknown keys from your address; try again later.',
    failed: 'The server could not answer; try again later.',
  },
  zh: {
    dashboard: '概览', accounts: '上游账户', keys: 'API 密钥',
    keyPage: '密钥用量页', logout: '退出登录', login: '登录',
    username: '用户名', password: '密码',
    ldapHint: '目录 (LDAP) 用户使用目录中的用户名和密码登录。',
    badLogin: '用户名或密码错误。',
    expiredSession: '登录已过期，请重新登录。',
    adminsOnly: '只有管理员能看到此页面。',
    costByDay: '每日费用', topModels: '费用最高的模型', topKeys: '费用最高的密钥',
    accountStates: '账户状态', name: '名称', type: '类型',
    health: '健康度', circuit: '熔断', cooldown: '冷却至',
    actions: '操作', test: '测试', reset: '重置',
    coolingDown: '冷却中', circuitOpen: '已熔断',
    error: '错误', newKey: '新密钥名称', create: '创建',
    shownOnce: '密钥只显示这一次：', copy: '复制', copied: '已复制。',
    copyBySelect: '请选中密钥后复制。', prefix: '密钥',
    disable: '停用', enable: '启用', delete: '删除',
    confirmDelete: '删除这个密钥？使用它的客户端将无法继续工作。',
    testOk: '正常', testFail: '失败',
    usage: '用量记录', audit: '审计日志', from: '从', to: '到',
    filter: '筛选', csv: '导出 CSV', records: '条记录',
    actor: '操作人', action: '操作', resource: '对象',
    address: '地址', users: '用户', role: '角色', source: '来源',
    newUser: '新用户', newAccount: '新账户', baseUrl: '基础 URL',
    priority: '优先级', onboard: '添加订阅账户 (OAuth)',
    provider: '提供方', start: '开始', code: '授权码',
    openThis: '打开此地址并授权，然后粘贴授权码：',
    finish: '添加账户', made: '已创建', rotate: '轮换',
    billing: '套餐与账单', plans: '套餐', subscriptions: '订阅',
    bills: '账单', period: '周期', quota: '额度', price: '价格',
    user: '用户', plan: '套餐', closed: '已结账', yes: '是', no: '否',
    edit: '编辑', save: '保存', cancel: '取消',
    dailyLimit: '每日费用上限（美元，0 为不限）',
    weeklyLimit: '每周费用上限（美元）', totalLimit: '总费用上限（美元）',
    concurrencyLimit: '并发请求数（0 为不限）',
    blockedModels: '禁用的模型（每行一个）',
    allowedClients: '允许的客户端（User-Agent 正则，每行一个）',
    boundTo: '绑定账户', anyAccount: '任意账户', saved: '已保存。',
    windows: '用量窗口', refresh: '刷新令牌', groups: '账户分组',
    pool: '账户池', members: '账户数', createGroup: '创建分组',
    group: '分组', noGroup: '无', leases: '进行中',
    backlog: '待写入的用量记录', topAccounts: '费用最高的账户',
    schedulable: '接收新请求', newCredential: '新凭据（留空则保留原凭据）',
    createPlan: '创建套餐', subscribe: '订阅',
    title: 'API 密钥用量', language: '语言',
    keyLabel: '您的 API 密钥', show: '查看用量',
    hint: '密钥只发送到本服务器，仅用于读取该密钥自己的用量，不会显示其他密钥的任何信息。',
    status: '状态', expires: '过期时间', never: '永不过期',
    permissions: '可用平台', spending: '花费',
    requests: '请求数', tokens: 'Token 数', cost: '费用',
    limit: '限额', remaining: '剩余', none: '无',
    today: '今天 (UTC)', week: '本周', total: '累计',
    recent: '最近的请求', time: '时间', model: '模型',
    input: '输入', output: '输出', noRequests: '还没有请求。',
    active: '启用', disabled: '已停用', expired: '已过期',
    badKey: '这不是 API 密钥：应以 cr_ 开头，后跟 64 个字符。',
    unknownKey: '本服务器不认识这个密钥。',
    tooMany: '来自您地址的未知密钥太多，请稍后再试。',
    failed: '服务器暂时无法回答，请稍后再试。',
  },
};

let lang = 'en';

export function setLang(l) {
  lang = strings[l] ? l : 'en';
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  for (const el of document.querySelectorAll('[data-i18n]')) {
    el.textContent = strings[lang][el.dataset.i18n];
  }
  try { localStorage.setItem('ql-lang', lang); } catch (e) { /* private */ }
}

export function savedLang() {
  try {
    return localStorage.getItem('ql-lang') ||
      (navigator.language.startsWith('zh') ? 'zh' : 'en');
  } catch (e) {
    return 'en';
  }
}

export function t(name) {
  return strings[lang][name];
}
