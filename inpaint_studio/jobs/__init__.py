"""The job store and the headless job lifecycle: persist, submit, poll, download, verify. No Qt."""
