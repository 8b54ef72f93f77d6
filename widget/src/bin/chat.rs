//! The chat page bundle served at `/chat/h5/v2/index.html`. Everything lives in
//! `frontdesk_widget::chat`.

fn main() {
    frontdesk_widget::chat::mount();
}
