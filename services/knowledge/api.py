"""What the gateway may import from knowledge: the schemas of its HTTP inputs. Who may write
and publish is services/common/roles.py (WORK, MANAGE), read by both sides."""
from services.knowledge.schemas import (ArticleIn, ArticleQuery, ArticleUpdate, SearchQuery,
                                        StatusIn, SuggestIn)

__all__ = ["ArticleIn", "ArticleQuery", "ArticleUpdate", "SearchQuery", "StatusIn", "SuggestIn"]
