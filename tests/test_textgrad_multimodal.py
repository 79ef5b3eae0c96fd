"""Image variables and TextGrad's multimodal calls: images reach OpenAI-compatible servers as
image content parts; a TextGrad-style engine gets them as bytes; the local model refuses them."""

from __future__ import annotations

import base64

import pytest
from engines_support import FakeOpenAIServer
from textgrad_support import tiny_png

import textgrad_sci as tg
from textgrad_sci.autograd import LLMCall, MultimodalLLMCall, OrderedFieldsMultimodalLLMCall
from textgrad_sci.engine.base import EngineLM
from textgrad_sci.engines import ChatRequest, EngineError
from textgrad_sci.engines.base import build_request
from textgrad_sci.loss import ImageQALoss

PNG = tiny_png()


class BytesEngine(EngineLM):
    """TextGrad's test engine: text prompts get one answer, lists with image bytes another."""

    def __init__(self):
        self.model_string = "gpt-4o"
        self.contents = []

    def generate(self, content, system_prompt=None, **kwargs):
        self.contents.append(content)
        if isinstance(content, str):
            return "Hello Text"
        assert any(isinstance(item, bytes) for item in content)
        return "Hello Text from Image"


def image_parts(body: dict) -> list[bytes]:
    """The images of a chat request body, decoded from their base64 data URLs."""
    found = []
    for message in body["messages"]:
        if isinstance(message["content"], list):
            for part in message["content"]:
                if part["type"] == "image_url":
                    url = part["image_url"]["url"]
                    assert url.startswith("data:image/png;base64,")
                    found.append(base64.b64decode(url.split(",", 1)[1]))
    return found


def vision_server_answer(body: dict) -> str:
    images = image_parts(body)
    system = body["messages"][0]["content"] if body["messages"][0]["role"] == "system" else ""
    if "optimization system" in str(system):  # a feedback call
        return f"feedback having seen {len(images)} image(s): say the square is red"
    if images and images[0] == PNG:
        return "I see a red square."
    return "I see no image."


@pytest.fixture
def image_file(tmp_path):
    path = tmp_path / "red.png"
    path.write_bytes(PNG)
    return path


def test_image_variables_from_bytes_or_a_local_file(image_file):
    from_bytes = tg.Variable(PNG, role_description="image", requires_grad=False)
    from_file = tg.Variable(image_path=image_file, role_description="image", requires_grad=False)
    assert from_file.value == from_bytes.value == PNG and from_file.is_image
    assert "<image: png, " in repr(from_file) and str(from_file).startswith("<image: png")
    with pytest.raises(ValueError, match="does not download"):
        tg.Variable(image_path="https://example.org/ant.jpg", role_description="image",
                    requires_grad=False)  # fmt: skip
    with pytest.raises(ValueError, match="cannot require grad"):
        tg.Variable(PNG, role_description="image")
    with pytest.raises(ValueError, match="cannot read image"):
        tg.Variable(image_path=image_file.parent / "missing.png", role_description="image",
                    requires_grad=False)  # fmt: skip


def test_multimodal_call_hands_a_textgrad_engine_bytes():
    engine = BytesEngine()
    image = tg.Variable(PNG, role_description="image to answer a question about",
                        requires_grad=False)  # fmt: skip
    question = tg.Variable("What do you see in this image?", role_description="question",
                           requires_grad=False)  # fmt: skip
    response = MultimodalLLMCall(engine=engine)([image, question])
    assert response.value == "Hello Text from Image"
    assert engine.contents[-1] == [PNG, "What do you see in this image?"]
    assert image in response.predecessors and question in response.predecessors
    text = tg.Variable("Hello", role_description="A variable")
    assert LLMCall(engine=engine)(text).value == "Hello Text"
    with pytest.raises(AttributeError):
        LLMCall(engine=engine)([text, image])  # a plain LLM call takes one variable
    with pytest.raises(TypeError, match="list of Variables"):
        MultimodalLLMCall(engine=engine)(["not a variable"])


def test_image_parts_reach_an_openai_compatible_server(image_file):
    with FakeOpenAIServer(vision_server_answer) as server:
        engine = tg.get_engine(f"openai:vision-model@{server.url}", cache=None)
        image = tg.Variable(image_path=image_file, role_description="photo", requires_grad=False)
        question = tg.Variable("What is this?", role_description="question", requires_grad=False)
        call = MultimodalLLMCall(engine, system_prompt="Describe images.")
        assert call([question, image]).value == "I see a red square."
        body = server.requests[-1]["body"]
        assert image_parts(body) == [PNG]
        user = body["messages"][-1]["content"]
        assert user[0] == {"type": "text", "text": "What is this?"}
        assert body["messages"][0] == {"role": "system", "content": "Describe images."}
        # the same request keys the cache the same way every time, images included
        first = build_request("m", [{"role": "user", "content": [PNG, "hi"]}])
        again = ChatRequest.from_dict(first.to_dict())
        assert again == first and again.key() == first.key() and again.has_images


def test_ordered_fields_and_image_qa_loss_send_feedback_with_the_image():
    with FakeOpenAIServer(vision_server_answer) as server:
        engine = tg.get_engine(f"openai:vision-model@{server.url}", cache=None)
        image = tg.Variable(PNG, role_description="photo", requires_grad=False)
        question = tg.Variable("What colour is it?", role_description="question",
                               requires_grad=False)  # fmt: skip
        answer = tg.Variable("It is blue.", role_description="answer to the question")
        call = OrderedFieldsMultimodalLLMCall(engine, fields=["Question", "Image"])
        call({"Question": question, "Image": image})
        parts = server.requests[-1]["body"]["messages"][-1]["content"]
        assert parts[0] == {"type": "text", "text": "Question: What colour is it?"}
        assert parts[1]["type"] == "image_url"
        with pytest.raises(ValueError, match="expects fields"):
            call({"Question": question})

        loss = ImageQALoss("Is the answer right? Be critical.", engine=engine)
        evaluation = loss(image=image, question=question, response=answer)
        assert evaluation.value == "I see a red square."
        evaluation.backward(engine)
        feedback_request = server.requests[-1]["body"]
        assert image_parts(feedback_request) == [PNG]  # the critic sees the image too
        expected = "feedback having seen 1 image(s): say the square is red"
        assert answer.get_gradient_text() == expected
        assert question.gradients == set() and image.gradients == set()


def test_the_embedded_model_says_it_has_no_vision(tmp_path):
    from textgrad_sci.engines.local import LocalEngine

    engine = LocalEngine(tmp_path / "model.gguf")
    image = tg.Variable(PNG, role_description="photo", requires_grad=False)
    with pytest.raises(EngineError, match="has no vision"):
        MultimodalLLMCall(engine)([image])
