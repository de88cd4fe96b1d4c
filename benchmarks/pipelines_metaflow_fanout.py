"""The pipelines benchmark's 20-wide fan-out/fan-in as a Metaflow flow.

The same work as the kfp pipeline `fanout` in `pipelines.py`: twenty parallel
`work` steps (a `foreach`), each squaring its item, then a join summing them
(2470). Metaflow needs a `start` to split and an `end` after the join, so it runs
23 tasks where the kfp pipeline runs 21.
"""

from metaflow import FlowSpec, step

WIDTH = 20


class PipelineBenchFanout(FlowSpec):
    @step
    def start(self):
        self.items = list(range(WIDTH))
        self.next(self.work, foreach="items")

    @step
    def work(self):
        self.value = self.input * self.input
        self.next(self.join)

    @step
    def join(self, inputs):
        self.total = sum(branch.value for branch in inputs)
        self.next(self.end)

    @step
    def end(self):
        print(f"RESULT {self.total}")


if __name__ == "__main__":
    PipelineBenchFanout()
