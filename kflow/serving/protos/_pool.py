"""kflow's own protobuf descriptor pool, where the generated `*_pb2` modules register.

TensorFlow (`tensorflow.TensorProto`), tritonclient (`inference.ModelInferRequest`) and
tensorflow-serving-api define the same message names in protobuf's default pool, and
a pool refuses a second definition of a name. A pool of our own lets kflow's server
and those clients live in one process; on the wire the messages are the same.
"""

from __future__ import annotations

from google.protobuf import any_pb2, descriptor_pb2, descriptor_pool, wrappers_pb2

POOL = descriptor_pool.DescriptorPool()

# the well-known types our protos import, copied from the default pool
for _module in (any_pb2, wrappers_pb2):
    POOL.Add(descriptor_pb2.FileDescriptorProto.FromString(_module.DESCRIPTOR.serialized_pb))
