// confirm.js: an in-page confirmation, in place of window.confirm (which
// blocks the page, cannot be styled or translated, and which tests and
// screen readers handle badly). A Vue mixin over one <dialog
// ref="confirmDialog"> in the page: confirmAsk({text, ok, danger})
// resolves true when the user confirms, false on Cancel or Escape.
export function confirmDialog() {
  return {
    data: () => ({ confirmBox: null }),
    methods: {
      confirmAsk(box) {
        this.confirmAnswer?.(false); // a dialog left open is a no
        this.confirmBox = box;
        return new Promise((resolve) => {
          this.confirmAnswer = resolve;
          this.$nextTick(() => {
            const d = this.$refs.confirmDialog;
            if (d && !d.open) d.showModal();
          });
        });
      },
      // confirmClose answers from the dialog's close event: its
      // returnValue is "ok" for the confirm button, anything else is no.
      confirmClose() {
        const d = this.$refs.confirmDialog;
        const yes = d?.returnValue === 'ok';
        if (d) d.returnValue = '';
        this.confirmBox = null;
        const answer = this.confirmAnswer;
        this.confirmAnswer = null;
        answer?.(yes);
      },
    },
  };
}
