"""stance: label news paragraphs by how they frame a major power's security partnership with a
smaller state, and by their stance toward it.

    from stance import load_model
    model = load_model()
    model.predict(["paragraph"])[0].labels
"""

from stance.article import Paragraph, split_paragraphs
from stance.codebook import Codebook, Label, Scheme
from stance.dataset import LabeledData, read_labeled
from stance.errors import CodebookError, DataError, EncoderError, InputError, ModelLoadError, StanceError
from stance.model import ArticleResult, Prediction, ScoredParagraph, StanceModel
from stance.persistence import DEFAULT_MODEL_DIR, load_model

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_MODEL_DIR",
    "ArticleResult",
    "Codebook",
    "CodebookError",
    "DataError",
    "EncoderError",
    "InputError",
    "Label",
    "LabeledData",
    "ModelLoadError",
    "Paragraph",
    "Prediction",
    "Scheme",
    "ScoredParagraph",
    "StanceError",
    "StanceModel",
    "load_model",
    "read_labeled",
    "split_paragraphs",
]
