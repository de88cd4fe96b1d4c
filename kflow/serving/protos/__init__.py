"""The gRPC APIs' messages: `.proto` files written from the published definitions, and
the `*_pb2` modules `python -m kflow.serving.protos.generate` generates from them (do not edit those).

`grpc_predict_v2.proto` is the Open Inference Protocol (`inference.GRPCInferenceService`);
the others are TF Serving's `PredictionService` and the TensorFlow messages it uses.
"""
