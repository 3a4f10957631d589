// The index page: the room form and the list of all rooms are plain HTML; "My rooms" is
// kept live by chat/sidebar.js.
import { startMyRooms } from "./sidebar.js";

const nav = document.querySelector("nav.my-rooms");
if (nav) startMyRooms(nav);
