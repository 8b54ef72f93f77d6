# Simplified Chinese (seed 003 `locale: "cn"`, the default). Every string a visitor sees,
# one file per locale (en.ftl, tw.ftl have the same keys). `table-name = value`; a
# `{ $x }` placeholder is filled in by the code. widget/build.rs makes the widget's tables
# of them; the server reads its own keys (`server-…`) through `shared::texts`.

## The chat page (bundle `chat`)
chat-lang = zh-CN
chat-title = 在线客服
chat-collapse = 收起聊天窗口
chat-input-label = 输入消息
chat-placeholder = 请输入您想咨询的问题
chat-send = 发送
chat-emoji = 表情
chat-sending = 发送中…
chat-failed = 发送失败
chat-remove = 删除
chat-connecting = 正在连接…
chat-online = 已连接
chat-reconnecting = 连接已断开,正在重新连接…
chat-offline = 网络不可用,恢复后自动重连
chat-refused = 经验证当前用户为非法用户,不予接入客户服务中心
chat-unavailable = 客服暂不可用,请检查接入配置
chat-blocked = 抱歉,暂时无法为您提供在线咨询服务。
chat-agent-typing = 客服正在输入…
chat-queue = 客服繁忙,正在排队,您是第 { $n } 位
chat-greeting = 您好,请问有什么可以帮您?
chat-agent = 客服
chat-image = 图片
chat-open = 打开
chat-download = 下载
chat-order = 订单
chat-order-no = 订单编号:{ $code }
chat-total = 合计:{ $fee }
chat-items-one = 共 { $n } 件
chat-items-other = 共 { $n } 件
chat-ended = 会话已结束
chat-rate-invite = 客服邀请您对本次服务进行评价
chat-transferred = 已为您转接客服 { $nick }

## The launcher in the customer's page (bundle `launcher`)
launcher-label = 在线客服
launcher-frame-title = 在线客服聊天窗口

## The lazy tier: emoji picker
emoji-label = 选择表情
emoji-loading = 正在加载表情…
emoji-failed = 表情加载失败，请稍后再试

## The lazy tier: reception (robot, hand-over)
reception-manual = 转人工
reception-robot = 智能客服
reception-suggest = 您可能想问

## The lazy tier: a card from the page (seed 003 card_* / order_*, seed 000 product)
card-label = 您正在查看
card-send = 发送
card-close = 不发送
card-order = 订单
card-order-no = 订单编号:{ $code }
card-total = 合计:{ $fee }
card-items-one = 共 { $n } 件
card-items-other = 共 { $n } 件

## The lazy tier and the stand-alone page: leave a message (seed 003 留言)
leave-lang = zh-CN
leave-title = 留言
leave-intro = 客服暂时无法接待，请留言，我们会尽快回复您。
leave-open = 留言
leave-content = 留言内容
leave-phone = 手机号
leave-email = 邮箱
leave-optional = （选填）
leave-submit = 提交
leave-cancel = 返回
leave-thanks = 留言已提交，客服回复后您可在此查看。
leave-failed = 提交失败，请稍后再试
leave-err-required = 请填写此项
leave-err-too-long = 内容过长
leave-err-invalid = 格式不正确
leave-err-contact = 请留下手机号或邮箱
leave-err-limited = 提交过于频繁，请稍后再试
leave-err-site = 暂时无法留言，请检查接入配置

## The lazy tier: rating the chat (seed 003 feedback_flag / satDegree_A)
rate-open = 评价本次服务
rate-title = 请对本次服务进行评价
rate-stars = 满意度
rate-score-1 = 1 星：非常不满意
rate-score-2 = 2 星：不满意
rate-score-3 = 3 星：一般
rate-score-4 = 4 星：满意
rate-score-5 = 5 星：非常满意
rate-comment = 其他意见（选填）
rate-send = 提交评价
rate-pick = 请先选择星级
rate-thanks = 感谢您的评价！下次会话前您仍可修改。
rate-failed = 评价提交失败，请稍后再试
upload-open = 发送图片或文件
upload-sending = 发送中…
upload-sent = 已发送
upload-too-large = 文件超过 10 MB，无法发送。
upload-unsupported = 不支持这种文件：可发送图片（PNG、JPEG、GIF、WebP）、PDF、Office 文档、文本、音频和视频。
upload-not-served = 客服接入后即可发送文件。
upload-busy = 同时发送的文件太多，请稍候。
upload-failed = 文件发送失败，请重试。
