"""Static quantization (quantize_static, QDQ) calibrated on 1,000 applications like the ones the model scores."""

from pathlib import Path

import numpy as np
from onnxruntime.quantization import CalibrationDataReader, QuantType, quantize_static

from workshop_lib import data, schema


class ApplicationsReader(CalibrationDataReader):
    def __init__(self, rows: int = 1_000, batch: int = 100) -> None:
        frame = data.make_applications(rows, seed=11)
        self._feeds = []
        for start in range(0, rows, batch):
            part = frame.iloc[start : start + batch]
            feed = {}
            for name in schema.FEATURES:
                column = part[name].to_numpy().reshape(-1, 1)
                feed[name] = column.astype(object) if name in schema.CATEGORICAL_FEATURES else column.astype(np.float64)
            self._feeds.append(feed)
        self._next = iter(self._feeds)

    def get_next(self):
        return next(self._next, None)


def quantize(fp32_path: Path, int8_path: Path) -> None:
    quantize_static(str(fp32_path), str(int8_path), ApplicationsReader(),
                    weight_type=QuantType.QInt8, activation_type=QuantType.QUInt8)
