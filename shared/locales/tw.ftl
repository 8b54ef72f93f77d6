# Traditional Chinese (seed 003 `locale: "tw"`). Same keys as cn.ftl.

## The chat page (bundle `chat`)
chat-lang = zh-TW
chat-title = 線上客服
chat-collapse = 收起聊天視窗
chat-input-label = 輸入訊息
chat-placeholder = 請輸入您想諮詢的問題
chat-send = 傳送
chat-emoji = 表情符號
chat-sending = 傳送中…
chat-failed = 傳送失敗
chat-remove = 刪除
chat-connecting = 正在連線…
chat-online = 已連線
chat-reconnecting = 連線已中斷,正在重新連線…
chat-offline = 網路無法使用,恢復後自動重新連線
chat-refused = 經驗證當前用戶為非法用戶,不予接入客戶服務中心
chat-unavailable = 客服暫不可用,請檢查接入設定
chat-blocked = 抱歉,暫時無法為您提供線上諮詢服務。
chat-agent-typing = 客服正在輸入…
chat-queue = 客服繁忙,正在排隊,您是第 { $n } 位
chat-greeting = 您好,請問有什麼可以幫您?
chat-agent = 客服
chat-image = 圖片
chat-open = 打開
chat-download = 下載
chat-order = 訂單
chat-order-no = 訂單編號:{ $code }
chat-total = 合計:{ $fee }
chat-items-one = 共 { $n } 件
chat-items-other = 共 { $n } 件
chat-ended = 會話已結束
chat-rate-invite = 客服邀請您對本次服務進行評價
chat-transferred = 已為您轉接客服 { $nick }

## The launcher in the customer's page (bundle `launcher`)
launcher-label = 線上客服
launcher-frame-title = 線上客服聊天視窗

## The lazy tier: emoji picker
emoji-label = 選擇表情
emoji-loading = 正在載入表情…
emoji-failed = 表情載入失敗，請稍後再試

## The lazy tier: reception (robot, hand-over)
reception-manual = 轉人工
reception-robot = 智能客服
reception-suggest = 您可能想問

## The lazy tier: a card from the page (seed 003 card_* / order_*, seed 000 product)
card-label = 您正在查看
card-send = 傳送
card-close = 不傳送
card-order = 訂單
card-order-no = 訂單編號:{ $code }
card-total = 合計:{ $fee }
card-items-one = 共 { $n } 件
card-items-other = 共 { $n } 件

## The lazy tier and the stand-alone page: leave a message (seed 003 留言)
leave-lang = zh-TW
leave-title = 留言
leave-intro = 客服暫時無法接待，請留言，我們會盡快回覆您。
leave-open = 留言
leave-content = 留言內容
leave-phone = 手機號碼
leave-email = 電子郵件
leave-optional = （選填）
leave-submit = 提交
leave-cancel = 返回
leave-thanks = 留言已提交，客服回覆後您可在此查看。
leave-failed = 提交失敗，請稍後再試
leave-err-required = 請填寫此項
leave-err-too-long = 內容過長
leave-err-invalid = 格式不正確
leave-err-contact = 請留下手機號碼或電子郵件
leave-err-limited = 提交過於頻繁，請稍後再試
leave-err-site = 暫時無法留言，請檢查接入設定

## The lazy tier: rating the chat (seed 003 feedback_flag / satDegree_A)
rate-open = 評價本次服務
rate-title = 請對本次服務進行評價
rate-stars = 滿意度
rate-score-1 = 1 星：非常不滿意
rate-score-2 = 2 星：不滿意
rate-score-3 = 3 星：普通
rate-score-4 = 4 星：滿意
rate-score-5 = 5 星：非常滿意
rate-comment = 其他意見（選填）
rate-send = 提交評價
rate-pick = 請先選擇星級
rate-thanks = 感謝您的評價！下次會話前您仍可修改。
rate-failed = 評價提交失敗，請稍後再試
upload-open = 傳送圖片或檔案
upload-sending = 傳送中…
upload-sent = 已傳送
upload-too-large = 檔案超過 10 MB，無法傳送。
upload-unsupported = 不支援這種檔案：可傳送圖片（PNG、JPEG、GIF、WebP）、PDF、Office 文件、文字、音訊和影片。
upload-not-served = 客服接入後即可傳送檔案。
upload-busy = 同時傳送的檔案太多，請稍候。
upload-failed = 檔案傳送失敗，請重試。
