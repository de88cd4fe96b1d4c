"""The pipelines benchmark's 10-step chain as a Metaflow flow (`python this.py run`).

The same work as the kfp pipeline `chain` in `pipelines.py`: ten steps in a row, each
adding one to the value the previous step produced, starting from 1; the end step
prints the result (11).
"""

from metaflow import FlowSpec, step


class PipelineBenchChain(FlowSpec):
    @step
    def start(self):
        self.x = 1 + 1
        self.next(self.s2)

    @step
    def s2(self):
        self.x += 1
        self.next(self.s3)

    @step
    def s3(self):
        self.x += 1
        self.next(self.s4)

    @step
    def s4(self):
        self.x += 1
        self.next(self.s5)

    @step
    def s5(self):
        self.x += 1
        self.next(self.s6)

    @step
    def s6(self):
        self.x += 1
        self.next(self.s7)

    @step
    def s7(self):
        self.x += 1
        self.next(self.s8)

    @step
    def s8(self):
        self.x += 1
        self.next(self.s9)

    @step
    def s9(self):
        self.x += 1
        self.next(self.end)

    @step
    def end(self):
        self.x += 1
        print(f"RESULT {self.x}")


if __name__ == "__main__":
    PipelineBenchChain()
