// The console's words in English and Simplified Chinese.  An element with
// data-i18n="name" shows t(name); scripts call t(name) themselves.

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
    newUser: 'New user', newAccount: 'New account',
    baseUrl: "Base URL (empty: the type's default)",
    priority: 'Priority', onboard: 'Add a subscription account (OAuth)',
    provider: 'Provider', start: 'Start', code: 'Code',
    openThis: 'Open this address, approve, then paste the code:',
    finish: 'Add the account', made: 'Created', rotate: 'Rotate',
    billing: 'Plans and bills', plans: 'Plans', subscriptions:
    'Subscriptions', bills: 'Bills', period: 'Period', quota: 'Quota',
    price: 'Price', user: 'User', plan: 'Plan', closed: 'Closed',
    yes: 'yes', no: 'no', edit: 'Edit', save: 'Save', cancel: 'Cancel',
    dailyLimit: 'Per UTC day',
    weeklyLimit: 'Per week', totalLimit: 'In all',
    concurrencyLimit: 'Requests at once (0: no limit)',
    blockedModels: 'Blocked models (one per line)',
    allowedClients: 'Allowed clients (User-Agent patterns, one per line)',
    boundTo: 'Bound to', anyAccount: 'any account', saved: 'Saved.',
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
    // dashboard
    range: 'Period', last24h: 'Last 24 hours', last7d: 'Last 7 days',
    last30d: 'Last 30 days', refreshNow: 'Refresh', updated: 'Updated',
    utcHint: 'Hours and days are UTC.', asTable: 'The numbers as a table',
    cacheTokens: 'Cache', state: 'State', until: 'Until',
    notActive: 'Accounts not taking requests now',
    overloaded: 'overloaded', paused: 'not scheduled',
    streamTitle: 'Usage stream', pending: 'Records being stored',
    dead: 'Records that could not be stored', nothing: 'Nothing yet.',
    // accounts
    description: 'Description', rpmLimit: 'Requests per minute (0: no limit)',
    tpmLimit: 'Tokens per minute (0: no limit)',
    supportedModels: 'Models it serves (one per line; none: all)',
    modelMap: 'Model names sent upstream (requested=upstream, one per line)',
    proxyUrl: 'Proxy URL', proxyUsername: 'Proxy user name',
    proxyPassword: 'Proxy password (empty: keep the stored one)',
    keepEmpty: 'empty: keep the stored one',
    apiKey: 'API key', accessToken: 'Access token',
    refreshToken: 'Refresh token', chatgptAccountId: 'ChatGPT account id',
    azureDeployment: 'Azure deployment',
    azureApiVersion: 'Azure API version (empty: 2024-10-21)',
    projectId: 'Google Cloud project', awsRegion: 'AWS region',
    awsAccessKeyId: 'AWS access key id',
    awsSecretAccessKey: 'AWS secret access key',
    awsSessionToken: 'AWS session token (temporary credentials)',
    confirmDeleteAccount: 'Delete this account? Keys bound to it stop ' +
                          'working.',
    confirmDeleteGroup: 'Delete this group?', deleted: 'deleted',
    testDone: 'tested', resetDone: 'cooldown, circuit and health reset',
    refreshDone: 'token renewed', renew: 'For',
    newAccountOption: 'a new account', renewed: 'Renewed',
    projectIdOpt: 'Google Cloud project (empty: Code Assist names one)',
    droidToken: 'Refresh token of the Factory login',
    // keys
    owner: 'Owner', done: 'Done', limits: 'Limits', lastUsed: 'Last used',
    perDay: 'a day', perWeek: 'a week', inAll: 'in all',
    atOnce: 'at once', requestsPer: 'requests per',
    daysFromFirstUse: 'days from first use',
    confirmRotate: 'Rotate this key? The old key stops working now.',
    costLimits: 'Cost limits ($, 0: none)',
    weeklyResetHours: 'The week starts this many hours after Monday ' +
                      '0:00 UTC',
    rateLimits: 'Rate limits (0: none)', rateWindow: 'Window (seconds)',
    rateRequests: 'Requests per window', rateTokens: 'Tokens per window',
    rateCost: 'Cost per window ($)', expiryMode: 'Expiry',
    fixed: 'On a date', fromFirstUse: 'Days after its first use',
    activationDays: 'Days after its first use', account: 'Account',
    key: 'Key',
    // usage
    all: 'all', platform: 'Platform', latency: 'Latency', prev: 'Newer',
    next: 'Older',
    // billing
    monthly: 'monthly', weekly: 'weekly', daily: 'daily',
    quotaDollars: 'Quota ($)', priceDollars: 'Price ($)', renews: 'Renews',
    autoRenew: 'Renew when it ends', cancelSubscription: 'Cancel',
    confirmCancel: 'Cancel this subscription?',
    confirmDeletePlan: 'Delete this plan?', cancelled: 'cancelled',
    month: 'Month', closeMonth: 'Close this month', closedAt: 'Closed',
    open: 'Open: the numbers still grow', models: 'Models',
    // users and audit
    displayName: 'Name shown', email: 'Email', lastLogin: 'Last login',
    newPassword: 'New password (empty: keep it)',
    confirmDeleteUser: 'Delete this user? Their keys stop working.',
    changes: 'Changes', entries: 'entries', showMonth: 'Show',
    entry: 'entry', record: 'record', beforeAfter: 'Before and after',
    // the key page
    atOnceLimit: 'Requests at once', rateLimit: 'Rate limit',
    requestsWord: 'requests', tokensWord: 'tokens',
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
    newUser: '新用户', newAccount: '新账户', baseUrl: '基础 URL（留空为该类型的默认地址）',
    priority: '优先级', onboard: '添加订阅账户 (OAuth)',
    provider: '提供方', start: '开始', code: '授权码',
    openThis: '打开此地址并授权，然后粘贴授权码：',
    finish: '添加账户', made: '已创建', rotate: '轮换',
    billing: '套餐与账单', plans: '套餐', subscriptions: '订阅',
    bills: '账单', period: '周期', quota: '额度', price: '价格',
    user: '用户', plan: '套餐', closed: '已结账', yes: '是', no: '否',
    edit: '编辑', save: '保存', cancel: '取消',
    dailyLimit: '每个 UTC 日',
    weeklyLimit: '每周', totalLimit: '总计',
    concurrencyLimit: '并发请求数（0 为不限）',
    blockedModels: '禁用的模型（每行一个）',
    allowedClients: '允许的客户端（User-Agent 正则，每行一个）',
    boundTo: '绑定到', anyAccount: '任意账户', saved: '已保存。',
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
    // dashboard
    range: '时间范围', last24h: '最近 24 小时', last7d: '最近 7 天',
    last30d: '最近 30 天', refreshNow: '刷新', updated: '更新于',
    utcHint: '小时和日期均为 UTC 时间。', asTable: '以表格查看数据',
    cacheTokens: '缓存', state: '状态', until: '直到',
    notActive: '当前不接收请求的账户',
    overloaded: '过载', paused: '不参与调度',
    streamTitle: '用量流', pending: '正在写入的记录',
    dead: '无法写入的记录', nothing: '暂无数据。',
    // accounts
    description: '描述', rpmLimit: '每分钟请求数（0 为不限）',
    tpmLimit: '每分钟 Token 数（0 为不限）',
    supportedModels: '支持的模型（每行一个；留空为全部）',
    modelMap: '发往上游的模型名（请求名=上游名，每行一个）',
    proxyUrl: '代理地址', proxyUsername: '代理用户名',
    proxyPassword: '代理密码（留空则保留原密码）',
    keepEmpty: '留空则保留原值',
    apiKey: 'API 密钥', accessToken: '访问令牌',
    refreshToken: '刷新令牌', chatgptAccountId: 'ChatGPT 账户 ID',
    azureDeployment: 'Azure 部署名',
    azureApiVersion: 'Azure API 版本（留空为 2024-10-21）',
    projectId: 'Google Cloud 项目', awsRegion: 'AWS 区域',
    awsAccessKeyId: 'AWS 访问密钥 ID',
    awsSecretAccessKey: 'AWS 秘密访问密钥',
    awsSessionToken: 'AWS 会话令牌（临时凭据）',
    confirmDeleteAccount: '删除这个账户？绑定到它的密钥将无法使用。',
    confirmDeleteGroup: '删除这个分组？', deleted: '已删除',
    testDone: '已测试', resetDone: '冷却、熔断和健康度已重置',
    refreshDone: '令牌已更新', renew: '用于',
    newAccountOption: '新建账户', renewed: '已更新',
    projectIdOpt: 'Google Cloud 项目（留空则由 Code Assist 指定）',
    droidToken: 'Factory 登录的刷新令牌',
    // keys
    owner: '所有者', done: '完成', limits: '限制', lastUsed: '最近使用',
    perDay: '每天', perWeek: '每周', inAll: '总计',
    atOnce: '个并发', requestsPer: '次请求 /',
    daysFromFirstUse: '天（自首次使用起）',
    confirmRotate: '轮换这个密钥？旧密钥将立即失效。',
    costLimits: '费用上限（美元，0 为不限）',
    weeklyResetHours: '每周从周一 0:00 UTC 之后的第几小时开始',
    rateLimits: '速率限制（0 为不限）', rateWindow: '时间窗口（秒）',
    rateRequests: '每个窗口的请求数', rateTokens: '每个窗口的 Token 数',
    rateCost: '每个窗口的费用（美元）', expiryMode: '过期方式',
    fixed: '指定日期', fromFirstUse: '首次使用后若干天',
    activationDays: '首次使用后的天数', account: '账户',
    key: '密钥',
    // usage
    all: '全部', platform: '平台', latency: '耗时', prev: '较新',
    next: '较早',
    // billing
    monthly: '每月', weekly: '每周', daily: '每天',
    quotaDollars: '额度（美元）', priceDollars: '价格（美元）',
    renews: '自动续订', autoRenew: '到期自动续订',
    cancelSubscription: '取消', confirmCancel: '取消这个订阅？',
    confirmDeletePlan: '删除这个套餐？', cancelled: '已取消',
    month: '月份', closeMonth: '结算本月', closedAt: '结算于',
    open: '未结算：数字仍会增加', models: '模型',
    // users and audit
    displayName: '显示名称', email: '电子邮件', lastLogin: '最近登录',
    newPassword: '新密码（留空则不变）',
    confirmDeleteUser: '删除这个用户？其密钥将无法使用。',
    changes: '变更', entries: '条', showMonth: '查看',
    entry: '条', record: '条记录', beforeAfter: '变更前后',
    // the key page
    atOnceLimit: '并发请求数', rateLimit: '速率限制',
    requestsWord: '次请求', tokensWord: '个 Token',
  },
};

let lang = 'en';

export function setLang(l) {
  lang = strings[l] ? l : 'en';
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  for (const el of document.querySelectorAll('[data-i18n]')) {
    const text = t(el.dataset.i18n);
    if (text !== undefined) {
      el.textContent = text;
    }
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

// how dates and numbers are written in the chosen language
export const locale = () => (lang === 'zh' ? 'zh-CN' : 'en-US');

// the word in the chosen language (English where it has none yet);
// undefined for a name no language has, so callers can fall back
export function t(name) {
  return strings[lang][name] ?? strings.en[name];
}
