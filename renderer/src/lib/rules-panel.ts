// Whether the auto-reply rules editor is open under the selected session's
// header (its chip sits in the header; closed, it takes no room).
import { reactive } from 'vue';

export const rulesPanel = reactive({ open: false });
