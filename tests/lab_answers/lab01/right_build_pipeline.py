"""the library's own training.build_pipeline('logistic') on split_features."""
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from workshop_lib import data, schema, training

def train_model(train_frame):
    return training.build_pipeline("logistic").fit(*training.split_features(train_frame))
