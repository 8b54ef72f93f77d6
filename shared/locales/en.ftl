# English (seed 003 `locale: "en"`). Same keys as cn.ftl.

## The chat page (bundle `chat`)
chat-lang = en
chat-title = Customer service
chat-collapse = Minimise chat
chat-input-label = Message
chat-placeholder = Type your question
chat-send = Send
chat-emoji = Emoji
chat-sending = Sending…
chat-failed = Not sent
chat-remove = Remove
chat-connecting = Connecting…
chat-online = Connected
chat-reconnecting = Connection lost, reconnecting…
chat-offline = You are offline; we will reconnect automatically
chat-refused = Verification failed: this user may not access the customer service center
chat-unavailable = Chat is unavailable: please check the integration settings
# The site blocked this visitor or their address: a polite refusal.
chat-blocked = Sorry, we cannot offer you a chat at the moment.
chat-agent-typing = The agent is typing…
chat-queue = All agents are busy. You are number { $n } in the queue
chat-greeting = Hello! How can we help you?
chat-agent = Agent
chat-image = Image
chat-open = Open
chat-download = Download
chat-order = Order
chat-order-no = Order no. { $code }
chat-total = Total: { $fee }
chat-items-one = { $n } item
chat-items-other = { $n } items
chat-ended = The chat has ended
chat-rate-invite = The agent asks you to rate this chat
chat-transferred = You are now served by { $nick }

## The launcher in the customer's page (bundle `launcher`)
launcher-label = Customer service
launcher-frame-title = Customer service chat

## The lazy tier: emoji picker
emoji-label = Choose an emoji
emoji-loading = Loading emoji…
emoji-failed = Could not load emoji, please try again later

## The lazy tier: reception (robot, hand-over)
reception-manual = Talk to a person
reception-robot = Assistant
reception-suggest = You may want to ask

## The lazy tier: a card from the page (seed 003 card_* / order_*, seed 000 product)
card-label = You are looking at
card-send = Send
card-close = Don't send
card-order = Order
card-order-no = Order no. { $code }
card-total = Total: { $fee }
card-items-one = { $n } item
card-items-other = { $n } items

## The lazy tier and the stand-alone page: leave a message (seed 003 留言)
leave-lang = en
leave-title = Leave a message
leave-intro = Nobody can answer right now. Leave a message and we will get back to you.
leave-open = Leave a message
leave-content = Your message
leave-phone = Phone
leave-email = Email
leave-optional =  (optional)
leave-submit = Send
leave-cancel = Back
leave-thanks = Thank you. Our answer will be here when you come back.
leave-failed = Could not send; please try again later
leave-err-required = Please fill this in
leave-err-too-long = This is too long
leave-err-invalid = This is not valid
leave-err-contact = Please give a phone number or an email address
leave-err-limited = Too many messages; please try again later
leave-err-site = Messages cannot be left here: please check the integration settings

## The lazy tier: rating the chat (seed 003 feedback_flag / satDegree_A)
rate-open = Rate this chat
rate-title = How did we do?
rate-stars = Your rating
rate-score-1 = 1 star: very dissatisfied
rate-score-2 = 2 stars: dissatisfied
rate-score-3 = 3 stars: neutral
rate-score-4 = 4 stars: satisfied
rate-score-5 = 5 stars: very satisfied
rate-comment = Anything else? (optional)
rate-send = Send rating
rate-pick = Please choose a number of stars
rate-thanks = Thank you for your rating! You can change it until your next chat.
rate-failed = Could not send your rating; please try again later
upload-open = Send a picture or file
upload-sending = Sending…
upload-sent = Sent
upload-too-large = This file is larger than 10 MB.
upload-unsupported = This kind of file cannot be sent: pictures (PNG, JPEG, GIF, WebP), PDF, Office, text, audio and video can.
upload-not-served = You can send files once an agent has answered you.
upload-busy = Too many files at once: please wait for the others.
upload-failed = The file could not be sent. Please try again.
